"""Real-time kernel: group names (always carrying the schema) and publishing after commit.

The database is what guarantees delivery: a service commits, then publishes a signal to the
groups it chose. A client that missed a signal (reconnect, Redis hiccup) fetches what it lacks
from the database by sequence number, so losing the channel layer loses only live signals.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer
from django.db import connection, transaction

log = logging.getLogger(__name__)

FRAME_HANDLER = "realtime.event"  # the consumer method `realtime_event` receives every event
PUBLISH_TIMEOUT_SECONDS = 5


def group(kind: str, key: object = "", *, schema_name: str | None = None) -> str:
    """`t.<schema>.<kind>[.<key>]`; channel layer names allow only [a-zA-Z0-9._-]."""
    schema = schema_name or connection.schema_name
    if not schema or schema == "public":
        raise RuntimeError("Real-time groups belong to a company schema")
    return f"t.{schema}.{kind}" + (f".{key}" if key != "" else "")


class _Publisher:
    """One event loop per process, on a daemon thread, that sends published events in order.

    The channel layer keeps a Redis connection per event loop; `async_to_sync` made a fresh
    loop (and so a fresh connection) for every group of every publish: 6–25 ms for three
    groups, against well under a millisecond on a loop that lives on (bench/routing.py).
    `publish` only queues the event (the caller, often a request or a socket's database
    thread, does not wait for Redis); one task sends the queue in order, so the events of one
    conversation reach Redis in the order they were committed.
    """

    MAX_QUEUED = 10_000  # Redis down: drop the newest live signals rather than grow for ever

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[tuple[Any, list[str], dict[str, Any]]] | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def _started(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker needs its own
                loop = asyncio.new_event_loop()
                queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=self.MAX_QUEUED)
                threading.Thread(
                    target=loop.run_forever, name="realtime-publish", daemon=True
                ).start()
                asyncio.run_coroutine_threadsafe(self._drain(queue), loop)
                self._loop, self._queue, self._pid = loop, queue, os.getpid()
            assert self._queue is not None
            return self._loop, self._queue

    @staticmethod
    async def _drain(queue: asyncio.Queue[Any]) -> None:
        while True:
            layer, names, message = await queue.get()
            try:
                await _send(layer, names, message)
            finally:
                queue.task_done()

    def submit(self, layer: Any, names: list[str], message: dict[str, Any]) -> None:
        loop, queue = self._started()

        def put() -> None:
            try:
                queue.put_nowait((layer, names, message))
            except asyncio.QueueFull:
                log.warning(
                    "realtime publish queue full; event dropped", extra={"event": message["event"]}
                )

        loop.call_soon_threadsafe(put)

    def flush(self, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
        """Wait until everything queued so far has been sent (tests, process exit)."""
        with self._lock:
            loop, queue = self._loop, self._queue
        if loop is None or queue is None or self._pid != os.getpid():
            return True

        async def joined() -> None:
            await queue.join()

        future = asyncio.run_coroutine_threadsafe(joined(), loop)
        try:
            future.result(timeout=timeout)
            return True
        except Exception:
            future.cancel()
            return False


_publisher = _Publisher()
atexit.register(_publisher.flush)


async def _send(layer: Any, names: list[str], message: dict[str, Any]) -> None:
    for name in names:
        try:
            await asyncio.wait_for(layer.group_send(name, message), PUBLISH_TIMEOUT_SECONDS)
        except Exception:  # the database has the data; a lost signal is recovered on resync
            log.warning(
                "realtime publish failed",
                extra={"event": message["event"], "group": name},
                exc_info=True,
            )


def publish(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Queue `event` for each group now (use `publish_on_commit` from services)."""
    layer = get_channel_layer()
    if layer is None:
        return
    # One id per publish, the same in every group: a socket in two of the groups (a supervisor
    # who also holds the chat) forwards it once, and a repeat of the same news still arrives.
    # The client frame is serialised here, once: every socket of every group forwards the same
    # text, instead of each decoding a payload from the channel layer and encoding it again.
    frame = json.dumps(
        {"type": event, "payload": payload}, ensure_ascii=False, separators=(",", ":")
    )
    message = {"type": FRAME_HANDLER, "event": event, "frame": frame, "id": uuid.uuid4().hex}
    _publisher.submit(layer, list(dict.fromkeys(to)), message)


def publish_flush(timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
    """Wait until the events published so far have reached the channel layer."""
    return _publisher.flush(timeout)


def publish_on_commit(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Publish once the current transaction commits (immediately outside one)."""
    groups = list(to)
    transaction.on_commit(lambda: publish(event, payload, to=groups))
