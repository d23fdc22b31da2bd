"""Ending a visitor's sessions: every token issued to them so far stops working at once.

For a leaked token, a shared computer or an abusive visitor: their open sockets and event
streams close (`session.ended`), their tokens are refused from then on, and their next visit
starts as a new, anonymous visitor who cannot read the old conversations. Nothing is deleted.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations.recipients import contact_group
from inboxes.models import Contact
from messenger.realtime import SESSION_ENDED, publish_on_commit
from tenants.accounts.models import User


@transaction.atomic
def visitor_sessions_end(*, contact: Contact, actor: User) -> Contact:
    """Refuse every token of `contact` issued until now and close their open connections.
    Supervisors and admins only."""
    if not actor.is_supervisor_or_admin:
        raise PermissionDenied(_("Only supervisors and admins can end a visitor's sessions."))
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    contact.sessions_ended_at = timezone.now()
    contact.save(update_fields=["sessions_ended_at"])
    publish_on_commit(SESSION_ENDED, {"contact_id": contact.pk}, to=[contact_group(contact.pk)])
    return contact
