"""The conversation row locked for a write, and copying its fresh state into the caller's
instance: shared by the conversation services (messages, receipts, lifecycle)."""

from __future__ import annotations

from inboxes.models import Conversation


def locked(conversation_id: int, **scope: int) -> Conversation:
    """The conversation row, locked until commit (only this row, not the joined ones);
    `scope` narrows it (a visitor's own conversation), else Conversation.DoesNotExist."""
    return (
        Conversation.objects.select_related("contact", "assignee")
        .select_for_update(of=("self",))
        .get(pk=conversation_id, **scope)
    )


def state_copy(source: Conversation, *, into: Conversation) -> None:
    """Every column of `source` onto `into` (the caller's instance follows the write)."""
    if into is source:
        return
    for field in Conversation._meta.concrete_fields:
        setattr(into, field.attname, getattr(source, field.attname))
