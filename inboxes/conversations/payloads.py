"""The JSON shapes of conversations and messages, shared by the APIs and real-time events."""

from __future__ import annotations

from typing import Any

from inboxes.conversations.attachments import attachment_payload
from inboxes.models import Contact, Conversation, Message


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def message_payload(message: Message) -> dict[str, Any]:
    sender = message.sender_user
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender_type": message.sender_type,
        "sender_name": sender.full_name if sender is not None else "",
        "body": message.body,
        "body_html": message.body_html,
        "attachments": [attachment_payload(a) for a in message.attachments.all()],
        "client_id": str(message.client_id) if message.client_id else None,
        "created_at": _iso(message.created_at),
    }


def receipts_payload(conversation: Conversation) -> dict[str, Any]:
    return {
        "conversation_id": conversation.pk,
        "visitor_delivered_seq": conversation.visitor_delivered_seq,
        "visitor_read_seq": conversation.visitor_read_seq,
        "operator_delivered_seq": conversation.operator_delivered_seq,
        "operator_read_seq": conversation.operator_read_seq,
    }


def contact_payload(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "last_page_url": contact.last_page_url,
        "created_at": _iso(contact.created_at),
        "last_seen_at": _iso(contact.last_seen_at),
    }


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    """For operators: the list row and the header of the conversation view."""
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "inbox_id": conversation.inbox_id,
        "contact": contact_payload(conversation.contact),
        "assignee_id": conversation.assignee_id,
        "assignee_name": assignee.full_name if assignee is not None else "",
        "branch_id": conversation.branch_id,
        "routing_reason": conversation.routing_reason,
        "country_code": conversation.country_code,
        "region_name": conversation.region_name,
        "is_request": conversation.is_request,
        "queued_at": _iso(conversation.queued_at),
        "opened_at": _iso(conversation.opened_at),
        "last_seq": conversation.last_seq,
        "last_message_at": _iso(conversation.last_message_at),
        "last_message_preview": conversation.last_message_preview,
        "created_at": _iso(conversation.created_at),
        "first_response_at": _iso(conversation.first_response_at),
        "closed_at": _iso(conversation.closed_at),
        **rating_payload(conversation),
        **receipts_payload(conversation),
    }


def rating_payload(conversation: Conversation) -> dict[str, Any]:
    return {
        "rating": None
        if conversation.rating_score is None
        else {
            "scale": conversation.rating_scale,
            "score": conversation.rating_score,
            "comment": conversation.rating_comment,
            "rated_at": _iso(conversation.rated_at),
        }
    }


def visitor_conversation_payload(conversation: Conversation) -> dict[str, Any]:
    """For the visitor: no internal ids of people beyond the operator's display name."""
    assignee = conversation.assignee
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "last_seq": conversation.last_seq,
        "operator_name": assignee.full_name if assignee is not None else "",
        **rating_payload(conversation),
        **receipts_payload(conversation),
    }
