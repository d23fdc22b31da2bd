"""The visitor's event stream over Server-Sent Events, for browsers whose WebSocket is blocked.

Same events as the socket. It opens with a one-time ticket (`?ticket=`, see
inboxes/visitors/tickets.py), so the widget reconnects by itself with a fresh ticket and
`after=` its last sequence number (an EventSource's own retry would reuse the spent ticket);
Last-Event-ID is honoured too. The stream first replays what was missed from the database. It
ends when the visitor's session does (their sessions ended, the company suspended or deleted),
and when the channel layer says events were lost (a Redis outage), so that the widget
reconnects and replays."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from channels.layers import get_channel_layer
from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from inboxes.conversations import events, selectors
from inboxes.conversations.payloads import message_payload, receipts_payload
from inboxes.models import Conversation
from inboxes.visitors.context import VisitorContext, WidgetError, visitor_for_ticket
from messenger.db_async import in_schema
from messenger.realtime import COMPANY_GROUP, CONTACT_GROUP, RESYNC_HANDLER, SESSION_ENDED, group

KEEPALIVE_SECONDS = 15


def _frame(event: str, payload: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _missed(
    ctx: VisitorContext, conversation_id: int, after: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The messages after `after` and where the receipts stand now (both missed while away)."""
    conversation = Conversation.objects.filter(
        pk=conversation_id, contact=ctx.contact, inbox=ctx.inbox
    ).first()
    if conversation is None:
        return [], None
    page = selectors.message_page(conversation=conversation, after=after, limit=100)
    return [message_payload(m) for m in page], receipts_payload(conversation)


def _int_param(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


async def visitor_event_stream(request: HttpRequest) -> HttpResponseBase:
    headers = dict(request.headers)
    site = request.GET.get("site", "")
    if site:  # an EventSource cannot send X-Widget-Site; the widget frame names its site here
        headers["X-Widget-Site"] = site
    try:
        ticket = request.GET.get("ticket", "")
        ctx = await in_schema("public", visitor_for_ticket, ticket, headers)
    except WidgetError as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
    schema = ctx.company.schema_name
    conversation_id = _int_param(request.GET.get("conversation_id"))
    after = _int_param(request.headers.get("Last-Event-ID")) or _int_param(request.GET.get("after"))
    layer = get_channel_layer()
    channel = await layer.new_channel()
    names = [
        group(CONTACT_GROUP, ctx.contact.pk, schema_name=schema),
        group(COMPANY_GROUP, schema_name=schema),
    ]
    for name in names:
        await layer.group_add(name, channel)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 3000\n\n"
            if conversation_id is not None and after is not None:
                missed, receipts = await in_schema(schema, _missed, ctx, conversation_id, after)
                for payload in missed:
                    yield _frame(events.MESSAGE_CREATED, payload, payload["seq"])
                if receipts is not None:
                    yield _frame(events.MESSAGE_RECEIPTS, receipts)
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(channel), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if message.get("event") == SESSION_ENDED:
                    yield _frame(SESSION_ENDED, {})
                    return
                if message.get("type") == RESYNC_HANDLER:
                    return  # events were lost: the widget reconnects and replays what it lacks
                payload = json.loads(message["frame"]).get("payload", {})  # messenger.realtime
                seq = payload.get("seq") if message.get("event") == events.MESSAGE_CREATED else None
                yield _frame(message.get("event", "event"), payload, seq)
        finally:
            for name in names:
                await layer.group_discard(name, channel)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
