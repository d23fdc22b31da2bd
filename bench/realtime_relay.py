#!/usr/bin/env python
"""The floor for bench/realtime.py: a bare `websockets` server relaying through Redis pub/sub.

    python bench/realtime_relay.py --port 8765 --redis redis://127.0.0.1:6379/8 \
        [--template frame.json]

It speaks just enough of the product's protocol for the benchmark's clients: a socket on
`/ws/panel/…` is an operator, any other path a visitor. A visitor's `message.send` frame is
PUBLISHed to one Redis channel as a `message.created` frame and acknowledged with
`message.ack`; one subscriber task pushes every published frame to all operator sockets
(`websockets.broadcast`: one compression per socket when permessage-deflate is on). `ping` gets
`pong`. No database, no authentication, no tenancy: the least a relay must do, so the product's
figures can be read against it. With `--template` (a `message.created` frame the product sent)
the frames have the product's shape and size; only the message's own fields change. Prints
`ready <port>` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, broadcast, serve

CHANNEL = "bench:relay:pool"
DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
DEFAULT_PAYLOAD: dict[str, Any] = {"sender_type": "visitor", "sender_name": "", "conversation": {}}


class Relay:
    def __init__(self, redis_url: str, template: dict[str, Any]) -> None:
        self.redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
        self.operators: set[ServerConnection] = set()
        self.template = template
        self.seq = 0

    async def handler(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        operator = path.startswith("/ws/panel/")
        if operator:
            self.operators.add(ws)
        try:
            async for raw in ws:
                await self.on_frame(ws, raw, operator=operator)
        finally:
            self.operators.discard(ws)

    async def on_frame(self, ws: ServerConnection, raw: str | bytes, *, operator: bool) -> None:
        frame: dict[str, Any] = json.loads(raw)
        kind = frame.get("type")
        if kind == "ping":
            await ws.send(DUMPS({"type": "pong", "t": frame.get("t")}))
        elif kind == "message.send" and not operator:
            payload = self.payload(frame)
            created = DUMPS({"type": "message.created", "payload": payload})
            await self.redis.publish(CHANNEL, created)
            own = {k: v for k, v in payload.items() if k != "conversation"}
            ack = {"type": "message.ack", "client_id": frame.get("client_id"), "payload": own}
            await ws.send(DUMPS(ack))

    def payload(self, frame: dict[str, Any]) -> dict[str, Any]:
        """The template's payload with this message's id, text, client id and time."""
        self.seq += 1
        body = str(frame.get("body"))
        return {
            **self.template,
            "id": self.seq,
            "conversation_id": frame.get("conversation_id"),
            "seq": self.seq,
            "body": body,
            "client_id": frame.get("client_id"),
            "created_at": datetime.now(UTC).isoformat(),
        }

    async def fan_out(self) -> None:
        """Push every published frame to every operator; resubscribe if Redis drops us."""
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message and message.get("type") == "message":
                        broadcast(self.operators, message["data"])
            except (aioredis.ConnectionError, aioredis.TimeoutError) as exc:
                print(f"relay: subscriber lost ({exc!r}); resubscribing", flush=True)
            finally:
                await pubsub.aclose()


async def main(port: int, redis_url: str, template: dict[str, Any]) -> None:
    relay = Relay(redis_url, template)
    fan_out = asyncio.create_task(relay.fan_out())
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    async with serve(relay.handler, "127.0.0.1", port, ping_interval=None, max_queue=64):
        print(f"ready {port}", flush=True)
        await stop
    fan_out.cancel()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--template", type=Path, help="a `message.created` frame, as JSON")
    args = parser.parse_args()
    template = DEFAULT_PAYLOAD
    if args.template:
        template = json.loads(args.template.read_text())["payload"]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop  # the product's uvicorn runs on uvloop too when it is installed
    except ImportError:
        asyncio.run(main(args.port, args.redis, template))
    else:
        uvloop.run(main(args.port, args.redis, template))


if __name__ == "__main__":
    cli()
