"""Request bodies that the widget API and the panel API share."""

from __future__ import annotations

import uuid

from ninja import Field, Schema
from pydantic import ConfigDict

from inboxes.models.message import BODY_MAX_LENGTH


class MessageIn(Schema):
    """A message: its text, files uploaded before it (`attachment_ids`), or both.

    `messages.body_validate` enforces the rule (the socket path has no schema, and its messages
    are the translated ones); the document states the same rule: text of at most 10,000
    characters that is not only spaces, unless files travel with it."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["body"], "properties": {"body": {"pattern": r"\S"}}},
                {"required": ["attachment_ids"], "properties": {"attachment_ids": {"minItems": 1}}},
            ]
        }
    )

    body: str = Field("", json_schema_extra={"maxLength": BODY_MAX_LENGTH})
    client_id: uuid.UUID
    attachment_ids: list[int] = []
