"""Typing indicators: a live-only signal (nothing stored) to the other side."""

from __future__ import annotations

from inboxes.conversations import events, recipients
from inboxes.models import Conversation
from messenger.realtime import publish
from tenants.accounts.models import User


def typing_signal(
    *, conversation: Conversation, side: str, is_typing: bool, user: User | None = None
) -> None:
    """A live-only signal (nothing stored): the visitor or an operator is typing."""
    payload = {
        "conversation_id": conversation.pk,
        "side": side,
        "is_typing": bool(is_typing),
        "name": user.full_name if user is not None else "",
    }
    if side == "visitor":
        groups = recipients.operator_groups(assignee_id=conversation.assignee_id)
    else:
        groups = [
            recipients.contact_group(conversation.contact_id),
            *recipients.operator_groups(assignee_id=conversation.assignee_id),
        ]
    publish(events.TYPING, payload, to=groups)
