"""Deadline handlers of routing: escalation of unopened chats, presence grace periods."""

from __future__ import annotations

from inboxes.routing import services
from messenger.kernel.deadlines import deadline_handler


@deadline_handler(services.ESCALATION)
def escalation(conversation_id: int, assignment_id: int) -> None:
    services.escalation_fire(conversation_id, assignment_id)


@deadline_handler(services.PRESENCE_GRACE)
def presence_grace(user_id: int, _token: int) -> None:
    services.presence_grace_fire(user_id)
