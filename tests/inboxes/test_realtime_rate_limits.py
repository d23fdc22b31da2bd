"""Rate limits on visitor sockets: a flood of messages gets error frames with `retry_after`, then
close 4429; extra typing signals are dropped, and far too many close the socket; a message
retried when told is stored once; the buckets (inboxes/realtime/throttle.py) keep real visitors
and the real-time benchmark's pace clear of them.

Socket tests run on committed data (`live_db`, company `initech`), as in
test_realtime_consumers.py.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django_tenants.utils import schema_context

from inboxes.models import Message
from inboxes.realtime.throttle import Throttle, rate_parse
from tests.inboxes.test_realtime_consumers import (
    _operator_cookie,
    _run,
    _visitor_setup,
    next_of_type,
    operator_socket,
    visitor_socket,
)

TIMEOUT = 5


def message(conversation_id: int, client_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "message.send",
        "conversation_id": conversation_id,
        "body": "Hello?",
        "client_id": client_id or str(uuid.uuid4()),
    }


async def outputs_until_close(socket: WebsocketCommunicator) -> tuple[list[dict[str, Any]], int]:
    """Every frame the socket receives until the server closes it, and the close code."""
    frames = []
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return frames, output["code"]
        frames.append(json.loads(output["text"]))


def stored(world, **filters: Any) -> int:  # type: ignore[no-untyped-def]
    with schema_context(world.company.schema_name):
        return Message.objects.filter(**filters).count()


async def test_a_message_flood_gets_retry_after_errors_then_close_4429_and_stays_closed(
    live_db, settings
):
    settings.RATELIMIT_WIDGET_MESSAGE_VISITOR = "3/m"  # 3 at once, then one every 20 s
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    visitor = visitor_socket(setup["token"])
    assert (await visitor.connect())[0]
    sent = [message(setup["conversation_id"]) for _ in range(10)]
    for frame in sent:
        await visitor.send_json_to(frame)

    frames, code = await outputs_until_close(visitor)
    assert code == 4429
    # The visitor's other tabs hear its messages too (message.created, on this socket as
    # well, whenever Redis delivers them): only the answers to the sends are in order.
    frames = [f for f in frames if f["type"] != "message.created"]
    assert [f["type"] for f in frames] == ["message.ack"] * 3 + ["error"] * 4
    for frame, refused in zip(frames[3:], sent[3:7], strict=True):
        assert frame["code"] == "rate_limited"
        assert frame["ref"] == refused["client_id"]
        assert 0 < frame["retry_after"] <= 20
        assert frame["detail"] == (
            "You are sending messages too fast. Wait a moment and they will be sent."
        )
    assert await _run(stored, world, conversation_id=setup["conversation_id"]) == 3

    # Reconnecting does not refill the bucket: the next message is refused at once.
    again = visitor_socket(setup["token"])
    assert (await again.connect())[0]
    await again.send_json_to(message(setup["conversation_id"]))
    refused = json.loads(await again.receive_from(timeout=TIMEOUT))
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    await again.disconnect()


async def test_a_message_refused_by_the_limit_is_stored_once_when_sent_again_after_retry_after(
    live_db, settings
):
    settings.RATELIMIT_WIDGET_MESSAGE_VISITOR = "2/1s"  # 2 at once, then one every 0.5 s
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    visitor = visitor_socket(setup["token"])
    assert (await visitor.connect())[0]
    frames = [message(setup["conversation_id"]) for _ in range(3)]
    for frame in frames:
        await visitor.send_json_to(frame)
    assert (await next_of_type(visitor, "message.ack"))["client_id"] == frames[0]["client_id"]
    assert (await next_of_type(visitor, "message.ack"))["client_id"] == frames[1]["client_id"]
    error = await next_of_type(visitor, "error")
    assert (error["code"], error["ref"]) == ("rate_limited", frames[2]["client_id"])

    await asyncio.sleep(error["retry_after"])  # what the widget does: wait as told, send again
    await visitor.send_json_to(frames[2])
    ack = json.loads(await visitor.receive_from(timeout=TIMEOUT))
    while ack["type"] == "message.created":  # the visitor's own first two, to all their tabs
        ack = json.loads(await visitor.receive_from(timeout=TIMEOUT))
    assert (ack["type"], ack.get("client_id")) == ("message.ack", frames[2]["client_id"]), ack
    assert await _run(stored, world, client_id=frames[2]["client_id"]) == 1
    await visitor.disconnect()


async def test_typing_over_the_limit_is_dropped_and_far_over_closes_the_socket(live_db, settings):
    settings.RATELIMIT_WIDGET_TYPING_VISITOR = "3/m"
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    conversation_id = setup["conversation_id"]
    operator = operator_socket(world, await _run(_operator_cookie, world))
    visitor = visitor_socket(setup["token"])
    assert (await operator.connect())[0] and (await visitor.connect())[0]
    for n in range(6):  # on and off: the 1-second repeat filter lets every one through
        await visitor.send_json_to(
            {"type": "typing", "conversation_id": conversation_id, "is_typing": n % 2 == 0}
        )
    await visitor.send_json_to({"type": "ping", "t": 1})
    # The 3 over the limit were dropped without a word: the next frame is the pong.
    assert json.loads(await visitor.receive_from(timeout=TIMEOUT))["type"] == "pong"

    # The operator's own typing signal, published after the visitor's, marks their end.
    await operator.send_json_to(
        {"type": "typing", "conversation_id": conversation_id, "is_typing": True}
    )
    sides = []
    while not sides or sides[-1] != "operator":
        sides.append((await next_of_type(operator, "typing"))["payload"]["side"])
    assert sides == ["visitor"] * 3 + ["operator"]

    await visitor.send_json_to(
        {"type": "typing", "conversation_id": conversation_id, "is_typing": True}
    )
    frames, code = await outputs_until_close(visitor)
    assert code == 4429
    # (the operator's typing signal reaches the visitor too)
    assert [f.get("code") for f in frames if f["type"] != "typing"] == ["rate_limited"]
    await operator.disconnect()


def test_rates_read_like_django_ratelimits() -> None:
    assert rate_parse("10/10s") == (10, 10.0)
    assert rate_parse("30/10m") == (30, 600.0)
    assert rate_parse("5/h") == (5, 3600.0)
    assert rate_parse("3/2") == (3, 2.0)


def test_the_default_limits_never_refuse_a_visitor_of_the_realtime_benchmark() -> None:
    """bench/realtime.py: 1,000 visitors share the send rate round robin: 20 s at 200 msg/s,
    then 5-second steps at 20, 40 … 1,280 msg/s. One visitor's frames, at those paces."""
    for setting in ("RATELIMIT_WIDGET_MESSAGE_VISITOR", "RATELIMIT_WIDGET_TYPING_VISITOR"):
        throttle = Throttle(*rate_parse(getattr(django_settings, setting)))
        now, refused = 0.0, 0
        steps = [(r, 5.0) for r in (20, 40, 80, 160, 320, 640, 1280)]
        for total_rate, seconds in [(200, 20.0), *steps]:
            interval = 1000 / total_rate  # the same visitor's turn comes round again
            for _ in range(max(1, int(seconds / interval))):
                refused += not throttle.hit("visitor", now).allowed
                now += interval
        assert refused == 0, setting


def test_a_person_typing_a_message_a_second_is_never_refused_and_a_burst_of_ten_passes() -> None:
    throttle = Throttle(*rate_parse(django_settings.RATELIMIT_WIDGET_MESSAGE_VISITOR))
    assert all(throttle.hit("burst", 0.0).allowed for _ in range(10))  # an outbox flushed
    assert all(throttle.hit("person", float(t)).allowed for t in range(600))


def test_a_client_that_waits_as_told_is_never_abusive_and_one_that_does_not_soon_is() -> None:
    throttle = Throttle(3, 3.0)
    now, delivered = 0.0, 0
    backlog = 20
    while backlog:
        verdict = throttle.hit("patient", now)
        assert not verdict.abusive
        if verdict.allowed:
            delivered, backlog = delivered + 1, backlog - 1
        else:
            now += verdict.retry_after
    assert delivered == 20

    verdicts = [throttle.hit("flood", 100.0) for _ in range(10)]
    assert [v.allowed for v in verdicts] == [True] * 3 + [False] * 7
    assert [v.abusive for v in verdicts] == [False] * 6 + [True] * 4
    assert all(v.retry_after == 1.0 for v in verdicts[3:])


def test_only_buckets_that_have_refilled_completely_are_forgotten() -> None:
    throttle = Throttle(3, 3.0)
    start = throttle.pruned_at
    throttle.hit("idle", start)
    throttle.hit("busy", start)
    throttle.hit("busy", start + 59.0)
    throttle.hit("newcomer", start + 61.0)  # a new bucket, a minute on: time to prune
    assert set(throttle.buckets) == {"busy", "newcomer"}
