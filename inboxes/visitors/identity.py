"""Identifying the visitor from the site's JavaScript API.

Unverified (name, email): stored on the current contact only. Verified: the site signs its
user id with the inbox's secret (HMAC-SHA256, hex); only then may the session move to the
contact that carries that id, so an unverified identify can never take over a contact.
"""

from __future__ import annotations

import hashlib
import hmac

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inboxes.conversations.services import contact_update
from inboxes.models import Contact, Inbox


def identity_hash(*, inbox: Inbox, user_id: str) -> str:
    return hmac.new(inbox.identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def visitor_identify(
    *,
    inbox: Inbox,
    contact: Contact,
    name: str | None,
    email: str | None,
    user_id: str | None,
    user_hash: str | None,
) -> Contact:
    """The contact the session should use from now on (possibly another, verified one)."""
    if user_id:
        expected = identity_hash(inbox=inbox, user_id=str(user_id))
        # as bytes: compare_digest refuses str with non-ASCII characters
        if not user_hash or not hmac.compare_digest(expected.encode(), str(user_hash).encode()):
            raise ValidationError({"user_hash": [_("The identity signature does not match.")]})
        known = Contact.objects.select_for_update().filter(external_id=str(user_id)).first()
        if known is not None and known.pk != contact.pk:
            contact = known
        else:
            contact.external_id = str(user_id)[:120]
            contact.save(update_fields=["external_id"])
    return contact_update(contact=contact, name=name, email=email)
