"""The channel layer and the publisher through a Redis outage, against a Redis server of the
test's own (`tests.redis_server`), stopped and started again on the same port."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import redis
from django.test import override_settings

from messenger.channel_layer import ResilientPubSubChannelLayer
from messenger.realtime import RESYNC_HANDLER, _thread_loop, group, publish
from tests.redis_server import RedisServer

TIMEOUT = 10


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


async def _receive(layer, channel: str) -> dict:  # type: ignore[no-untyped-def]
    return await asyncio.wait_for(layer.receive(channel), TIMEOUT)


async def test_sockets_through_an_outage_are_told_to_resync_and_hear_their_groups_again(
    redis_server: RedisServer,
):
    layer = ResilientPubSubChannelLayer(hosts=[redis_server.url], prefix="outage")
    before = await layer.new_channel()
    await layer.group_add("g.before", before)

    await asyncio.to_thread(redis_server.stop)
    # A socket opening now gets its channel and groups (no exception: no 500 on the handshake).
    during = await layer.new_channel()
    await layer.group_add("g.during", during)
    await asyncio.to_thread(redis_server.start)

    # Both are told that they may have missed events...
    assert await _receive(layer, before) == {"type": RESYNC_HANDLER}
    assert await _receive(layer, during) == {"type": RESYNC_HANDLER}
    # ...and both hear their groups again, the one that joined during the outage too.
    await layer.group_send("g.before", {"type": "test.event", "n": 1})
    await layer.group_send("g.during", {"type": "test.event", "n": 2})
    assert await _receive(layer, before) == {"type": "test.event", "n": 1}
    assert await _receive(layer, during) == {"type": "test.event", "n": 2}
    await layer.flush()


async def test_groups_whose_events_failed_to_publish_get_a_resync_once_redis_answers(
    redis_server: RedisServer,
):
    """Another process's sockets may have kept their subscription: the publisher that lost
    the events tells their groups itself."""
    layers = {
        "default": {
            "BACKEND": "messenger.channel_layer.ResilientPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_server.url], "prefix": "outage-pub"},
        }
    }
    name = group("contact", 7, schema_name="co_outage")
    with override_settings(CHANNEL_LAYERS=layers):
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        await asyncio.to_thread(redis_server.stop)
        publish("message.created", {"seq": 3}, to=[name])  # fails: Redis is down
        await asyncio.to_thread(_thread_loop.flush)
        # Hold the publisher's thread until the listener below is subscribed, so that its
        # next retry cannot go out before anyone listens.
        hold = threading.Event()
        _thread_loop.get().call_soon_threadsafe(hold.wait, TIMEOUT)
        await asyncio.to_thread(redis_server.start)

        # A subscriber of another process: a plain Redis client on the group's channel.
        listener = redis.asyncio.Redis.from_url(redis_server.url)
        pubsub = listener.pubsub()
        await pubsub.subscribe(f"outage-pub__group__{name}")
        hold.set()
        try:
            async with asyncio.timeout(TIMEOUT):
                while True:
                    got = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
                    if got is not None:
                        break
        finally:
            await pubsub.aclose()
            await listener.aclose()
        assert layer.deserialize(got["data"])["type"] == RESYNC_HANDLER
        await layer.flush()
