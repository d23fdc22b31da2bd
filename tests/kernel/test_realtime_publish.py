"""Publishing: events leave in the order they were published, each frame serialised once."""

from __future__ import annotations

import asyncio
import json

from channels.layers import get_channel_layer

from messenger.realtime import group, publish, publish_flush


async def test_events_published_in_a_burst_arrive_in_order_with_their_frame():
    layer = get_channel_layer()
    name = group("test", "order", schema_name="co_publish")
    channel = await layer.new_channel()
    await layer.group_add(name, channel)
    try:
        for n in range(60):  # more than one batch's worth arrives while the first is sent
            publish("test.event", {"n": n, "text": "Привет"}, to=[name, name])
        assert await asyncio.to_thread(publish_flush)
        received = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(60)]
    finally:
        await layer.group_discard(name, channel)
    frames = [json.loads(m["frame"]) for m in received]
    assert [f["payload"]["n"] for f in frames] == list(range(60))  # in order, once each
    assert frames[0] == {"type": "test.event", "payload": {"n": 0, "text": "Привет"}}
    assert len({m["id"] for m in received}) == 60
