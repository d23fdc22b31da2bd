"""Announcing a conversation change: operators get the operator's view, the visitor only the
visitor's (no contact details, internal ids or routing reasons)."""

from __future__ import annotations

from inboxes.conversations import events, recipients
from inboxes.conversations.payloads import (
    conversation_payload,
    message_payload,
    visitor_conversation_payload,
)
from inboxes.models import Conversation, Message
from messenger.realtime import publish_on_commit


def conversation_announce(
    event: str,
    conversation: Conversation,
    *,
    previous_assignee_id: int | object | None = recipients._UNCHANGED,
    message: Message | None = None,
    visitor: bool = True,
) -> None:
    operators = recipients.operator_groups(
        assignee_id=conversation.assignee_id, previous_assignee_id=previous_assignee_id
    )
    if message is None:
        operator_view = conversation_payload(conversation)
        visitor_view = visitor_conversation_payload(conversation)
    else:
        operator_view = {
            **message_payload(message),
            "conversation": conversation_payload(conversation),
        }
        visitor_view = {**operator_view, "conversation": visitor_conversation_payload(conversation)}
    publish_on_commit(event, operator_view, to=operators)
    if visitor:
        publish_on_commit(
            event, visitor_view, to=[recipients.contact_group(conversation.contact_id)]
        )


def conversation_updated_announce(conversation: Conversation) -> None:
    """`conversation.updated` to everyone who sees the chat (its status or fields changed)."""
    conversation_announce(events.CONVERSATION_UPDATED, conversation)
