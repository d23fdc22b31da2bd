"""The front-end's protocol module agrees with the server: the generated types are those of
today's OpenAPI documents and payload schemas, real answers have exactly the payload schemas'
fields, the close codes are the consumers', and the message-length limit is written down once
(the generated BODY_MAX_LENGTH, from the Python constant)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from ninja import Schema

from inboxes.conversations.payload_schemas import (
    AttachmentOut,
    ContactOut,
    ConversationOut,
    MessageOut,
    ReceiptsOut,
    VisitorConversationOut,
)
from inboxes.models.message import BODY_MAX_LENGTH
from inboxes.realtime import consumers
from messenger import protocol_gen
from tests.inboxes.conftest import ORIGIN

REPO_DIR = Path(__file__).resolve().parents[2]
SHARED = REPO_DIR / "widget-cdn" / "src" / "shared"
FRONT_END_SOURCES = [REPO_DIR / "widget-cdn" / "src", REPO_DIR / "inboxes" / "panel" / "frontend"]


def test_the_committed_protocol_types_match_the_openapi_documents() -> None:
    assert protocol_gen.OUTPUT.read_text() == protocol_gen.render(), (
        "widget-cdn/src/shared/protocol.gen.ts is stale: run `python manage.py protocol_gen`"
    )


def test_the_generated_body_limit_is_the_python_constant() -> None:
    text = protocol_gen.OUTPUT.read_text()
    assert f"export const BODY_MAX_LENGTH = {BODY_MAX_LENGTH};" in text
    assert "interface PanelMessageIn" in text and "interface WidgetMessageIn" in text


def test_the_close_codes_are_the_consumers() -> None:
    text = (SHARED / "protocol.ts").read_text()
    for name in (
        "CLOSE_SESSION_ENDED",
        "CLOSE_UNAUTHORISED",
        "CLOSE_FORBIDDEN",
        "CLOSE_RATE_LIMITED",
    ):
        assert f"export const {name} = {getattr(consumers, name)};" in text, name


def test_no_front_end_source_repeats_the_body_limit() -> None:
    """The TypeScript takes it from protocol.gen.ts; templates from the Python constant,
    through the views."""
    files = [
        p for root in FRONT_END_SOURCES for p in root.rglob("*.ts") if p.name != "protocol.gen.ts"
    ]
    files += [*(REPO_DIR / "platform" / "messenger" / "static").rglob("*.js")]
    for templates in (REPO_DIR / "platform" / "messenger" / "templates", REPO_DIR / "inboxes"):
        files += templates.rglob("*.html")
    assert len(files) > 20
    literal = re.compile(rf"\b{BODY_MAX_LENGTH}\b|\b{BODY_MAX_LENGTH:_}\b")
    assert [str(p) for p in files if literal.search(p.read_text())] == []


def _has_shape(payload: dict, schema: type[Schema]) -> None:
    assert set(payload) == set(schema.model_fields), schema.__name__
    schema.model_validate(payload)  # and the values are of the types the schema states


def test_the_panels_answers_have_the_generated_payload_shapes(acme, visitor) -> None:
    conversation_id = visitor.start()
    assert visitor.send(conversation_id, "Hello").status_code == 201
    answer = acme.login().get(f"/api/v1/conversations/{conversation_id}/messages").json()
    _has_shape(answer["conversation"], ConversationOut)
    _has_shape(answer["conversation"]["contact"], ContactOut)
    (message,) = answer["messages"]
    _has_shape(message, MessageOut)
    assert set(ReceiptsOut.model_fields) - {"conversation_id"} <= set(ConversationOut.model_fields)


def test_the_widgets_answers_have_the_generated_payload_shapes(visitor) -> None:
    conversation_id = visitor.start()
    upload = visitor.client.post(
        f"/widget/v1/conversations/{conversation_id}/attachments",
        {"file": SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")},
        HTTP_AUTHORIZATION=f"Bearer {visitor.token}",
        HTTP_ORIGIN=ORIGIN,
    )
    assert upload.status_code in (200, 201), upload.content
    _has_shape(upload.json(), AttachmentOut)
    sent = visitor.call(
        "post",
        f"/conversations/{conversation_id}/messages",
        {"body": "", "client_id": str(uuid.uuid4()), "attachment_ids": [upload.json()["id"]]},
    )
    _has_shape(sent.json(), MessageOut)
    _has_shape(sent.json()["attachments"][0], AttachmentOut)
    answer = visitor.call("get", f"/conversations/{conversation_id}/messages").json()
    _has_shape(answer["conversation"], VisitorConversationOut)
