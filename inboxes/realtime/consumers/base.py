"""The consumers' common part: frames in (checked, throttled, handed to services), events out,
idle timeout, resume by sequence. Frames are JSON objects with a `type`; a malformed or
unknown one, or one with text PostgreSQL cannot store, gets an `error` frame and the socket
stays open. Every ORM call runs inside the company's schema (`in_schema`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import nullcontext
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from inboxes.conversations import events, selectors, services
from inboxes.conversations.payloads import message_payload
from inboxes.models import Conversation
from inboxes.realtime import frames
from inboxes.visitors.context import WidgetError
from messenger.db_async import in_schema
from messenger.realtime import COMPANY_GROUP, RESYNC_FRAME, group

IDLE_TIMEOUT_SECONDS = 70  # clients ping every 25 s
CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4001
CLOSE_IDLE = 4008
CLOSE_RATE_LIMITED = 4429


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {k.decode("latin-1").title(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class BaseConsumer(AsyncWebsocketConsumer):
    schema_name: str = ""
    groups_joined: list[str]
    # Set when the session ends (the user deactivated, the company suspended or deleted):
    # the socket closes with this code, and frames still arriving are refused.
    ended = False
    ended_close_code = CLOSE_SESSION_ENDED
    # The language the client's error frames are in; None: the active one (the panel's).
    language: str | None = None

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own dispatch first closes stale connections on the single database
        thread before every handler: one queued turn per event per socket, so one message to
        50 operators waited behind 50 of them (bench/realtime.py: 47–65 → ~1,900 frames/s
        without it). ORM work here goes through `in_schema`, which does that itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, groups: list[str]) -> None:
        """Subscribe to `groups` and to the company's own group (which can end the socket)."""
        groups = [*groups, group(COMPANY_GROUP, schema_name=self.schema_name)]
        self.groups_joined = groups
        for name in groups:
            await self.channel_layer.group_add(name, self.channel_name)

    async def disconnect(self, code: int) -> None:
        handle = getattr(self, "_idle", None)
        if handle is not None:
            handle.cancel()
        for name in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(name, self.channel_name)

    def _arm_idle_timer(self) -> None:
        handle = getattr(self, "_idle", None)
        if handle is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(
            IDLE_TIMEOUT_SECONDS, lambda: asyncio.ensure_future(self.close(CLOSE_IDLE))
        )

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def send_error(self, code: str, detail: Any, ref: Any = None) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail, "ref": ref})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.ended:
            await self.send_error("session_ended", "This session has ended.")
            return
        self._arm_idle_timer()
        frame, refusal = frames.frame_parse(text_data)
        if refusal is not None:
            await self.send_error(*refusal)
            return
        kind = frame["type"]
        if kind == "ping":
            await self.on_ping()
            await self.send_json({"type": "pong", "t": frame.get("t")})
            return
        handler = self.actions().get(kind)
        if handler is None:
            await self.send_error("unknown_type", f"Unknown frame type: {kind[:40]}")
            return
        with translation.override(self.language) if self.language else nullcontext():
            await self.act(handler, kind, frame)

    async def act(self, handler: Any, kind: str, frame: dict[str, Any]) -> None:
        """An action frame: admitted by the rate limits, then handled; a refusal is an error
        frame."""
        if not await self.admit(kind, frame):
            return
        try:
            await handler(frame)
        except (ValidationError, WidgetError, Conversation.DoesNotExist, Http404) as exc:
            await self.send_error(*frames.action_refusal(exc, frame.get("client_id")))
        except (TypeError, ValueError):
            await self.send_error("bad_frame", "Malformed fields.", ref=frame.get("client_id"))

    side = ""  # "visitor" or "operator"
    user: Any = None

    def actions(self) -> dict[str, Any]:
        return {
            "message.send": self.message_send,
            "receipts": self.receipts,
            "typing": self.typing,
            "resume": self.resume,
        }

    def _conversation(self, conversation_id: int) -> Conversation:
        """The conversation this socket may act on (raises DoesNotExist / Http404)."""
        raise NotImplementedError

    def _mark_receipts(self, conversation: Conversation, frame: dict[str, Any]) -> None:
        raise NotImplementedError

    def _message_store(
        self, conversation_id: int, frame: dict[str, Any], client_id: uuid.UUID, ids: list[int]
    ) -> Any:
        message, _ = services.message_create(
            conversation=self._conversation(conversation_id),
            sender_type=self.side,
            body=frame.get("body"),
            client_id=client_id,
            sender_user=self.user,
            attachment_ids=ids,
        )
        return message

    async def message_send(self, frame: dict[str, Any]) -> None:
        conversation_id = frames.int_field(frame, "conversation_id")
        client_id = uuid.UUID(str(frame.get("client_id")))

        def send() -> dict[str, Any]:
            ids = frame.get("attachment_ids") or []
            if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
                raise ValueError("attachment_ids")
            return message_payload(self._message_store(conversation_id, frame, client_id, ids))

        payload = await in_schema(self.schema_name, send)
        await self.send_json(
            {"type": "message.ack", "client_id": str(client_id), "payload": payload}
        )

    async def receipts(self, frame: dict[str, Any]) -> None:
        conversation_id = frames.int_field(frame, "conversation_id")
        await in_schema(
            self.schema_name,
            lambda: self._mark_receipts(self._conversation(conversation_id), frame),
        )

    async def typing(self, frame: dict[str, Any]) -> None:
        conversation_id = frames.int_field(frame, "conversation_id")
        is_typing = bool(frame.get("is_typing"))
        if not self.typing_allowed(conversation_id, is_typing):
            return
        await in_schema(
            self.schema_name,
            lambda: services.typing_signal(
                conversation=self._conversation(conversation_id),
                side=self.side,
                is_typing=is_typing,
                user=self.user,
            ),
        )

    async def resume(self, frame: dict[str, Any]) -> None:
        """Send what the client missed after `after`, from the database, in order."""
        conversation_id = frames.int_field(frame, "conversation_id")
        after = frames.int_field(frame, "after")

        def missed() -> dict[str, Any]:
            return selectors.resume_frame(self._conversation(conversation_id), after=after)

        await self.send_json(await in_schema(self.schema_name, missed))

    async def on_ping(self) -> None:
        return None

    async def admit(self, kind: str, frame: dict[str, Any]) -> bool:
        """Whether this frame is within the socket's limits (it has answered when not)."""
        return True

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """Every published event arrives here, its client frame already serialised."""
        if message["event"] == events.SESSION_ENDED:
            await self.end_session()
            return
        await self.send(text_data=message["frame"])

    async def end_session(self) -> None:
        self.ended = True
        await self.close(self.ended_close_code)

    async def realtime_resync(self, message: dict[str, Any]) -> None:
        """Events for this socket may have been lost (Redis was away): the client catches up
        from the database by sequence number."""
        await self.send(text_data=RESYNC_FRAME)

    def typing_allowed(self, conversation_id: int, is_typing: bool) -> bool:
        gate = self.__dict__.setdefault("_typing_gate", frames.TypingGate())
        return gate.allowed(conversation_id, is_typing)
