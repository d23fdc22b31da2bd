"""Domain events about a conversation that several services emit, built from its row (see
messenger.kernel.events for the types)."""

from __future__ import annotations

from inboxes.models import Conversation
from messenger.kernel import events as domain


def assigned_emit(
    conversation: Conversation,
    *,
    previous_assignee_id: int | None,
    reason: str,
    actor_id: int | None,
) -> None:
    """`conversation.assigned`: its assignee is now `conversation.assignee_id` (None: it
    waits in its branch's queue)."""
    domain.emit(
        domain.CONVERSATION_ASSIGNED,
        conversation_id=conversation.pk,
        assignee_id=conversation.assignee_id,
        previous_assignee_id=previous_assignee_id,
        branch_id=conversation.branch_id,
        reason=reason,
        actor_id=actor_id,
    )
