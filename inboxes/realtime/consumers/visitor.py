"""The visitor's socket (`/ws/widget/`): one visitor, all their tabs in the contact's group."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from inboxes.conversations import recipients, services
from inboxes.models import Conversation
from inboxes.realtime import frames
from inboxes.realtime.consumers.base import (
    CLOSE_FORBIDDEN,
    CLOSE_RATE_LIMITED,
    CLOSE_UNAUTHORISED,
    BaseConsumer,
    _headers,
)
from inboxes.realtime.throttle import Throttle, throttle_for
from inboxes.visitors.context import WidgetError, visitor_for_ticket
from inboxes.visitors.ratelimits import MESSAGE_LIMITED
from messenger.db_async import in_schema
from messenger.i18n import LANGUAGE_CODES

log = logging.getLogger(__name__)


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
