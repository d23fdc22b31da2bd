"""The front-end's protocol module agrees with the server: the generated types are those of
today's OpenAPI documents, the close codes are the consumers', and the message-length limit
is written down once (the generated BODY_MAX_LENGTH, from the Python constant)."""

from __future__ import annotations

import re
from pathlib import Path

from inboxes.models.message import BODY_MAX_LENGTH
from inboxes.realtime import consumers
from messenger import protocol_gen

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
    files = [
        p for root in FRONT_END_SOURCES for p in root.rglob("*.ts") if p.name != "protocol.gen.ts"
    ]
    assert files
    literal = re.compile(rf"\b{BODY_MAX_LENGTH}\b|\b{BODY_MAX_LENGTH:_}\b")
    assert [str(p) for p in files if literal.search(p.read_text())] == []
