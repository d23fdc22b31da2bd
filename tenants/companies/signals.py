"""What other apps may react to in a company's life, without `tenants` importing them.

`company_signed_up(sender=Company, company=…, admin=…, website=…)` is sent inside the signup's
transaction, in the new company's schema, after its admin and main branch exist: a receiver
that raises undoes the whole signup.
"""

from django.dispatch import Signal

company_signed_up = Signal()
