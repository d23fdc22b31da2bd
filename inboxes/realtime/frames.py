"""Socket frames from clients: JSON objects with a `type`, checked before any handler runs.

A refusal is the error frame's (code, detail, ref); the socket stays open after it. Also the
small per-socket gates: typing signals spaced out, an event forwarded once.
"""

from __future__ import annotations

import collections
import json
import math
import time
from typing import Any

from django.core.exceptions import ValidationError

from messenger.inputs import has_unstorable_text, unstorable_text_message

MAX_FRAME_BYTES = 64 * 1024
TYPING_MIN_INTERVAL = 1.0
Refusal = tuple[str, Any, Any]


def frame_parse(text_data: str | None) -> tuple[dict[str, Any], Refusal | None]:
    """The frame, or why it is refused: not text, too big, not JSON, no `type`, or text
    PostgreSQL cannot store (NUL, lone surrogates)."""
    if text_data is None or len(text_data) > MAX_FRAME_BYTES:
        return {}, ("bad_frame", "Send JSON text frames of at most 64 KiB.", None)
    try:
        frame = json.loads(text_data)
    except ValueError:
        return {}, ("bad_json", "The frame is not valid JSON.", None)
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return {}, ("bad_frame", "A frame is a JSON object with a `type`.", None)
    if has_unstorable_text(frame):
        return {}, ("invalid", unstorable_text_message(), frame.get("client_id"))
    return frame, None


def action_refusal(exc: Exception, ref: Any) -> Refusal:
    """The error frame of an action a service refused: its validation errors, else an unknown
    conversation (not this socket's, or gone)."""
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return ("invalid", detail, ref)
    return ("not_found", "Unknown conversation.", ref)


def int_field(frame: dict[str, Any], name: str) -> int:
    """An integer field of the frame (a boolean is not one); ValueError otherwise."""
    value = frame.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(name)
    return value


def rate_limited_error(detail: str, ref: Any, retry_after: float) -> dict[str, Any]:
    """The error frame of a refused action, saying when to try again."""
    return {
        "type": "error",
        "code": "rate_limited",
        "detail": detail,
        "ref": ref,
        # rounded up: a client waiting exactly this long finds a token
        "retry_after": math.ceil(retry_after * 100) / 100,
    }


class TypingGate:
    """At most one "is typing" per conversation per TYPING_MIN_INTERVAL; "stopped" always
    passes (and lets the next "is typing" through)."""

    def __init__(self) -> None:
        self.last: dict[int, float] = {}

    def allowed(self, conversation_id: int, is_typing: bool) -> bool:
        now = time.monotonic()
        if is_typing and now - self.last.get(conversation_id, 0) < TYPING_MIN_INTERVAL:
            return False
        self.last[conversation_id] = now if is_typing else 0
        return True


class RecentIds:
    """The last few event ids a socket forwarded, to forward each once."""

    def __init__(self, size: int = 32) -> None:
        self.ids: collections.deque[str] = collections.deque(maxlen=size)

    def seen(self, fingerprint: str | None) -> bool:
        if fingerprint is None:
            return False
        if fingerprint in self.ids:
            return True
        self.ids.append(fingerprint)
        return False
