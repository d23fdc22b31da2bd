"""Real-time kernel: group names (always carrying the schema) and publishing after commit.

The database is what guarantees delivery: a service commits, then publishes a signal to the
groups it chose. A client that missed a signal (reconnect, Redis hiccup) fetches what it lacks
from the database by sequence number, so losing the channel layer loses only live signals.
"""

from __future__ import annotations

import asyncio
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


def group(kind: str, key: object = "", *, schema_name: str | None = None) -> str:
    """`t.<schema>.<kind>[.<key>]`; channel layer names allow only [a-zA-Z0-9._-]."""
    schema = schema_name or connection.schema_name
    if not schema or schema == "public":
        raise RuntimeError("Real-time groups belong to a company schema")
    return f"t.{schema}.{kind}" + (f".{key}" if key != "" else "")


class _PublishLoop:
    """One event loop per process, on a daemon thread, for publishing from sync code.

    The channel layer keeps a Redis connection per event loop; `async_to_sync` made a fresh
    loop (and so a fresh connection) for every group of every publish: 6–25 ms for three
    groups, against well under a millisecond on a loop that lives on (bench/routing.py).
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker needs its own
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(
                    target=self._loop.run_forever, name="realtime-publish", daemon=True
                ).start()
            return self._loop


_publish_loop = _PublishLoop()
PUBLISH_TIMEOUT_SECONDS = 5


async def _send(layer: Any, names: list[str], message: dict[str, Any]) -> None:
    for name in names:
        try:
            await layer.group_send(name, message)
        except Exception:  # the database has the data; a lost signal is recovered on resync
            log.warning(
                "realtime publish failed",
                extra={"event": message["event"], "group": name},
                exc_info=True,
            )


def publish(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Send `event` to each group now (use `publish_on_commit` from services)."""
    layer = get_channel_layer()
    if layer is None:
        return
    # One id per publish, the same in every group: a socket in two of the groups (a supervisor
    # who also holds the chat) forwards it once, and a repeat of the same news still arrives.
    message = {"type": FRAME_HANDLER, "event": event, "payload": payload, "id": uuid.uuid4().hex}
    future = asyncio.run_coroutine_threadsafe(
        _send(layer, list(dict.fromkeys(to)), message), _publish_loop.get()
    )
    try:
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except Exception:  # Redis slow or down: never fail the write that already committed
        future.cancel()
        log.warning("realtime publish timed out", extra={"event": event}, exc_info=True)


def publish_on_commit(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Publish once the current transaction commits (immediately outside one)."""
    groups = list(to)
    transaction.on_commit(lambda: publish(event, payload, to=groups))
