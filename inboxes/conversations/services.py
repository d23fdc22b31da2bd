"""The conversation services, by capability: one import path for views, consumers and tests.

- contacts: the visitor as a contact (contacts.py);
- lifecycle: start, offline request, take, close, reopen (lifecycle.py);
- messages: storing and announcing messages (messages.py);
- receipts: delivered/read ticks and read positions (receipts.py);
- typing: the live typing signal (typing_signals.py).

Each write is one transaction; real-time signals go out after commit to the groups chosen in
`recipients`, and domain events through messenger.kernel.events. Run inside the company's
schema.
"""

from __future__ import annotations

from inboxes.conversations.contacts import contact_create, contact_geo, contact_seen, contact_update
from inboxes.conversations.lifecycle import (
    conversation_close,
    conversation_open_for,
    conversation_reopen,
    conversation_start,
    conversation_take,
    offline_request_create,
)
from inboxes.conversations.messages import (
    PREVIEW_LENGTH,
    body_validate,
    message_create,
    visitor_message_create,
)
from inboxes.conversations.receipts import operator_receipts_mark, visitor_receipts_mark
from inboxes.conversations.typing_signals import typing_signal

__all__ = [
    "PREVIEW_LENGTH",
    "body_validate",
    "contact_create",
    "contact_geo",
    "contact_seen",
    "contact_update",
    "conversation_close",
    "conversation_open_for",
    "conversation_reopen",
    "conversation_start",
    "conversation_take",
    "message_create",
    "offline_request_create",
    "operator_receipts_mark",
    "typing_signal",
    "visitor_message_create",
    "visitor_receipts_mark",
]
