"""WebSocket consumers. Small by design: authenticate, authorise, join the right groups,
forward events, and hand client actions (send, receipts, typing, resume) to services.

Frames are JSON objects with a `type`. A malformed or unknown frame, or one with text PostgreSQL
cannot store (NUL, lone surrogates), gets an `error` frame; the socket stays open. Every ORM
call runs inside the company's schema (`in_schema`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from contextlib import nullcontext
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from inboxes import presence
from inboxes.conversations import events, recipients, selectors, services
from inboxes.conversations.payloads import message_payload
from inboxes.models import Conversation
from inboxes.realtime import frames
from inboxes.realtime.auth import panel_user_for_scope
from inboxes.realtime.throttle import Throttle, throttle_for
from inboxes.routing.escalation import conversation_opened
from inboxes.visitors.context import WidgetError, visitor_for_ticket
from inboxes.visitors.ratelimits import MESSAGE_LIMITED
from messenger.db_async import in_schema
from messenger.i18n import LANGUAGE_CODES
from messenger.realtime import COMPANY_GROUP, RESYNC_FRAME, group

log = logging.getLogger(__name__)

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


class VisitorConsumer(BaseConsumer):
    """`/ws/widget/?ticket=…&site=…&lang=…`: one visitor (all their tabs join the contact's
    group). The ticket is a one-time stand-in for the visitor's token (`POST
    /widget/v1/tickets`); `lang` is the widget's language (else the inbox's), which refusals
    are written in."""

    # The company was suspended or deleted: the widget treats it as a refused socket and stops.
    ended_close_code = CLOSE_FORBIDDEN

    throttles: dict[str, Throttle | None]

    async def connect(self) -> None:
        from urllib.parse import parse_qs

        query = parse_qs(self.scope.get("query_string", b"").decode())
        ticket = (query.get("ticket") or [""])[0]
        headers = _headers(self.scope)
        # The widget frame (on the base host) names the site it is embedded in, as its HTTP
        # requests do with the X-Widget-Site header; only trusted with the base host's Origin.
        site = (query.get("site") or [""])[0]
        if site:
            headers["X-Widget-Site"] = site
        try:
            ctx = await in_schema("public", visitor_for_ticket, ticket, headers)
        except WidgetError as exc:
            await self.close(CLOSE_FORBIDDEN if exc.status == 403 else CLOSE_UNAUTHORISED)
            return
        self.schema_name = ctx.company.schema_name
        self.contact_id = ctx.contact.pk
        self.inbox_id = ctx.inbox.pk
        lang = (query.get("lang") or [""])[0]
        self.language = lang if lang in LANGUAGE_CODES else ctx.inbox.language
        self.throttles = {
            "message.send": throttle_for("RATELIMIT_WIDGET_MESSAGE_VISITOR"),
            "typing": throttle_for("RATELIMIT_WIDGET_TYPING_VISITOR"),
        }
        await self.join([recipients.contact_group(self.contact_id, schema_name=self.schema_name)])
        await self.accept()
        self._arm_idle_timer()

    side = "visitor"

    async def admit(self, kind: str, frame: dict[str, Any]) -> bool:
        """Messages and typing signals spend the visitor's buckets. A message over the limit
        gets an error frame saying when to retry (the widget keeps it and sends it again then);
        a typing signal over the limit is dropped. Either kind past the strikes closes the
        socket with 4429 after an error frame."""
        throttle = self.throttles.get(kind)
        if throttle is None:
            return True
        verdict = throttle.hit((self.schema_name, self.contact_id))
        if verdict.allowed:
            return True
        if verdict.abusive or kind == "message.send":
            await self.send_json(
                frames.rate_limited_error(
                    str(MESSAGE_LIMITED), frame.get("client_id"), verdict.retry_after
                )
            )
        if verdict.abusive:
            log.warning("socket rate limit abused", extra={"ratelimit": kind})
            await self.close(CLOSE_RATE_LIMITED)
        return False

    def _conversation(self, conversation_id: int) -> Conversation:
        return Conversation.objects.select_related("assignee").get(
            pk=conversation_id, contact_id=self.contact_id, inbox_id=self.inbox_id
        )

    def _message_store(
        self, conversation_id: int, frame: dict[str, Any], client_id: uuid.UUID, ids: list[int]
    ) -> Any:
        # One query both checks the conversation is this visitor's and locks it.
        message, _ = services.visitor_message_create(
            conversation_id=conversation_id,
            contact_id=self.contact_id,
            inbox_id=self.inbox_id,
            body=frame.get("body"),
            client_id=client_id,
            attachment_ids=ids,
        )
        return message

    def _mark_receipts(self, conversation: Conversation, frame: dict[str, Any]) -> None:
        services.visitor_receipts_mark(
            conversation=conversation,
            delivered_seq=frame.get("delivered_seq"),
            read_seq=frame.get("read_seq"),
        )


class OperatorConsumer(BaseConsumer):
    """`/ws/panel/` on a company host, authenticated by the panel's session cookie."""

    async def connect(self) -> None:
        found = await in_schema("public", panel_user_for_scope, self.scope)
        if found is None:
            await self.close(CLOSE_UNAUTHORISED)
            return
        company, user = found
        self.schema_name, self.user = company.schema_name, user
        self.socket_id = uuid.uuid4().hex[:12]
        schema = self.schema_name
        audience = (
            recipients.staff_group(schema_name=schema)
            if user.is_supervisor_or_admin
            else recipients.pool_group(schema_name=schema)
        )
        await self.join([recipients.user_group(user.pk, schema_name=schema), audience])
        await self.accept()
        self._arm_idle_timer()
        await in_schema(
            schema, presence.operator_socket_opened, user=user, socket_id=self.socket_id
        )

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if getattr(self, "user", None) is None:
            return
        await in_schema(
            self.schema_name,
            presence.operator_socket_closed,
            user_id=self.user.pk,
            socket_id=self.socket_id,
        )

    async def on_ping(self) -> None:
        await in_schema(
            self.schema_name,
            presence.operator_socket_pinged,
            user_id=self.user.pk,
            socket_id=self.socket_id,
        )

    async def realtime_event(self, message: dict[str, Any]) -> None:
        if message["event"] == events.SESSION_ENDED:
            await self.end_session()
            return
        if self._seen(message["id"]):
            return
        await super().realtime_event(message)

    async def realtime_resync(self, message: dict[str, Any]) -> None:
        if self._seen(message.get("id")):
            return
        await self.on_ping()  # Redis may have come back empty: be present again at once
        await super().realtime_resync(message)

    def _seen(self, fingerprint: str | None) -> bool:
        """A supervisor who also holds the chat is in both `staff` and `user.<id>`: the same
        event arrives twice, back to back (with the same publish id). Forward it once."""
        return self.__dict__.setdefault("_recent", frames.RecentIds()).seen(fingerprint)

    side = "operator"

    def _conversation(self, conversation_id: int) -> Conversation:
        user = type(self.user).objects.get(pk=self.user.pk, is_active=True)
        return selectors.conversation_for_user(user=user, pk=conversation_id)

    def actions(self) -> dict[str, Any]:
        return {**super().actions(), "open": self.open}

    async def open(self, frame: dict[str, Any]) -> None:
        """The operator looks at the dialog: for its assignee, the escalation timer stops."""
        conversation_id = frames.int_field(frame, "conversation_id")
        await in_schema(
            self.schema_name,
            lambda: conversation_opened(
                conversation=self._conversation(conversation_id), user=self.user
            ),
        )

    def _mark_receipts(self, conversation: Conversation, frame: dict[str, Any]) -> None:
        services.operator_receipts_mark(
            conversation=conversation,
            user=self.user,
            delivered_seq=frame.get("delivered_seq"),
            read_seq=frame.get("read_seq"),
        )
