"""The shapes of the conversation and message payloads (inboxes/conversations/payloads.py)
that the APIs answer with and the real-time events carry, written down as schemas.

The payload functions build plain dicts (fast, and the same for HTTP and the sockets); these
schemas describe them for the front-ends: `manage.py protocol_gen` turns them into
TypeScript (widget-cdn/src/shared/protocol.gen.ts) next to the OpenAPI documents' types, and
tests/api/test_protocol_gen.py checks real answers against them field by field.
"""

from __future__ import annotations

from typing import Literal

from ninja import Field, Schema

from inboxes.models.message import BODY_MAX_LENGTH


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    is_image: bool
    width: int | None
    height: int | None
    url: str  # a signed link, valid for 15 minutes


class MessageOut(Schema):
    id: int
    conversation_id: int
    seq: int
    sender_type: Literal["visitor", "operator", "system"]
    sender_name: str
    body: str = Field(json_schema_extra={"maxLength": BODY_MAX_LENGTH})
    body_html: str  # sanitised Markdown, rebuilt through an allowlist by the front-ends
    attachments: list[AttachmentOut]
    client_id: str | None
    created_at: str | None


class ReceiptsOut(Schema):
    """How far each side has the conversation (the `message.receipts` event)."""

    conversation_id: int
    visitor_delivered_seq: int
    visitor_read_seq: int
    operator_delivered_seq: int
    operator_read_seq: int


class ContactOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    last_page_url: str
    created_at: str | None
    last_seen_at: str | None


class RatingOut(Schema):
    scale: str
    score: int
    comment: str
    rated_at: str | None


class ConversationOut(ReceiptsOut):
    """For operators: the list row and the header of the conversation view (with the
    receipts' fields, as in the `message.receipts` event)."""

    id: int
    status: Literal["open", "pending", "closed"]
    inbox_id: int
    contact: ContactOut
    assignee_id: int | None
    assignee_name: str
    branch_id: int | None
    routing_reason: str
    country_code: str
    region_name: str
    is_request: bool
    queued_at: str | None
    opened_at: str | None
    last_seq: int
    last_message_at: str | None
    last_message_preview: str
    created_at: str | None
    first_response_at: str | None
    closed_at: str | None
    rating: RatingOut | None


class VisitorConversationOut(ReceiptsOut):
    """For the visitor: no internal ids of people beyond the operator's display name."""

    id: int
    status: Literal["open", "pending", "closed"]
    last_seq: int
    operator_name: str
    rating: RatingOut | None


PAYLOADS: list[type[Schema]] = [
    AttachmentOut,
    MessageOut,
    ReceiptsOut,
    ContactOut,
    RatingOut,
    ConversationOut,
    VisitorConversationOut,
]
