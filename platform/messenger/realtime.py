"""Real-time kernel: group names (always carrying the schema) and publishing after commit.

The database is what guarantees delivery: a service commits, then publishes a signal to the
groups it chose. A client that missed a signal (reconnect, Redis hiccup) fetches what it lacks
from the database by sequence number, so losing the channel layer loses only live signals.
Clients notice a missed signal themselves (a gap in a conversation's sequence numbers), and
the server tells them when it knows it lost some: a `resync` frame, sent by the channel layer
to its sockets once Redis is back (`messenger.channel_layer`) and by a publisher to the groups
whose events it failed to send, once Redis answers it again.
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
from contextvars import ContextVar
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from messenger.schema import current_schema

log = logging.getLogger(__name__)

FRAME_HANDLER = "realtime.event"  # the consumer method `realtime_event` receives every event
RESYNC_HANDLER = "realtime.resync"  # `realtime_resync`: events were lost, the client catches up
RESYNC_FRAME = '{"type":"resync"}'
# Every socket of a company is in its `company` group; this event there ends them all (the
# company was suspended or deleted), as it ends one user's sockets in their `user.<id>` group.
SESSION_ENDED = "session.ended"
# The kinds of group, in one place (`group(kind, key)`); who is in which: inboxes'
# conversations/recipients.py.
COMPANY_GROUP = "company"  # every socket of the company
USER_GROUP = "user"  # `user.<id>`: every panel socket of one person
CONTACT_GROUP = "contact"  # `contact.<id>`: every widget socket of one visitor
STAFF_GROUP = "staff"  # supervisors and admins
POOL_GROUP = "pool"  # operators, for unassigned chats
PUBLISH_TIMEOUT_SECONDS = 5
RESYNC_RETRY_SECONDS = 1.0


def group(kind: str, key: object = "", *, schema_name: str | None = None) -> str:
    """`t.<schema>.<kind>[.<key>]`; channel layer names allow only [a-zA-Z0-9._-]."""
    schema = schema_name or current_schema()
    if not schema or schema == "public":
        raise RuntimeError("Real-time groups belong to a company schema")
    return f"t.{schema}.{kind}" + (f".{key}" if key != "" else "")


# The server's event loop, set for every connection by `bind_server_loop` (messenger.asgi):
# code running on its behalf in worker threads (views, socket ORM work) publishes on it.
_server_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar(
    "realtime_server_loop", default=None
)


class _Publisher:
    """The events of one event loop, sent in order by one task, in batches.

    Whatever queued up while the previous batch was on its way goes in the next one: each
    event is serialised once, and a batch is one pipelined round trip to Redis however many
    groups and events it holds (the channel layer's `group_send` is one round trip per group).
    Callers never wait for Redis.
    """

    MAX_QUEUED = 10_000  # Redis down: drop the newest live signals rather than grow for ever
    MAX_BATCH = 500
    MAX_OWED = 10_000  # beyond that, the clients' own gap detection has to do

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[Any, list[str], dict[str, Any]]] = asyncio.Queue(
            maxsize=self.MAX_QUEUED
        )
        # Groups whose events failed to go out (and their layer): they are sent a resync as
        # soon as Redis takes a batch again, retried every RESYNC_RETRY_SECONDS meanwhile.
        # Sockets of another process that held their subscription through the failure would
        # otherwise only notice at the next message of each conversation.
        self.owed: set[str] = set()
        self.owed_layer: Any = None
        self.task = asyncio.get_running_loop().create_task(self._drain())

    def put(self, item: tuple[Any, list[str], dict[str, Any]]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning(
                "realtime publish queue full; event dropped", extra={"event": item[2]["event"]}
            )

    async def _drain(self) -> None:
        queue = self.queue
        while True:
            if not self.owed:
                batch = [await queue.get()]
            else:
                try:
                    batch = [await asyncio.wait_for(queue.get(), RESYNC_RETRY_SECONDS)]
                except TimeoutError:
                    batch = []  # nothing new: try the resync alone
            while len(batch) < self.MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            owed = self.owed
            if owed:
                self.owed = set()
            layer = batch[0][0] if batch else self.owed_layer
            try:
                await asyncio.wait_for(_send_batch(layer, batch, owed), PUBLISH_TIMEOUT_SECONDS)
            except Exception:  # the database has the data: the groups get a resync later
                log.warning("realtime publish failed", exc_info=True)
                self._owe(layer, owed, batch)
            finally:
                for _ in batch:
                    queue.task_done()

    def _owe(
        self, layer: Any, owed: set[str], batch: list[tuple[Any, list[str], dict[str, Any]]]
    ) -> None:
        self.owed_layer = layer
        self.owed |= owed
        for _layer, names, _message in batch:
            room = self.MAX_OWED - len(self.owed)
            if room <= 0:
                log.warning("realtime resync list full; clients rely on gap detection")
                return
            self.owed.update(names[:room])


_publishers: dict[asyncio.AbstractEventLoop, _Publisher] = {}
_publishers_lock = threading.Lock()  # loops of several threads (server, helper) share the map


def _enqueue(item: tuple[Any, list[str], dict[str, Any]]) -> None:
    """On the loop that will send it."""
    loop = asyncio.get_running_loop()
    with _publishers_lock:
        for gone in [other for other in _publishers if other.is_closed()]:
            del _publishers[gone]  # loops of finished tests or stopped servers
        publisher = _publishers.get(loop)
        if publisher is None or publisher.task.done():
            publisher = _publishers[loop] = _Publisher()
    publisher.put(item)


class _ThreadLoop:
    """One event loop per process on a daemon thread, for code with no server loop (Celery
    tasks, the deadline runner, management commands). `async_to_sync` would make a fresh loop,
    and so a fresh Redis connection, for every publish."""

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

    def flush(self, timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
        """Wait until everything queued on this loop so far has been sent."""
        with self._lock:
            loop = self._loop if self._pid == os.getpid() else None
        if loop is None:
            return True

        async def joined() -> None:
            with _publishers_lock:
                publisher = _publishers.get(loop)
            if publisher is not None:
                await publisher.queue.join()

        future = asyncio.run_coroutine_threadsafe(joined(), loop)
        try:
            future.result(timeout=timeout)
            return True
        except Exception:
            future.cancel()
            return False


_thread_loop = _ThreadLoop()
atexit.register(_thread_loop.flush)


async def _send_batch(
    layer: Any, batch: list[tuple[Any, list[str], dict[str, Any]]], resync: set[str]
) -> None:
    """The batch's events, then a resync to the `resync` groups (events lost before)."""
    # Imported here, where a layer exists (so its backend module is loaded already), not at
    # the top: this module is imported by every service that publishes, in processes that
    # may never publish (migrations, checks), and redis.asyncio is a large import.
    from channels_redis.pubsub import RedisPubSubChannelLayer

    if resync:
        notice = {"type": RESYNC_HANDLER, "id": uuid.uuid4().hex}
        batch = [*batch, (layer, sorted(resync), notice)]
    if not isinstance(layer, RedisPubSubChannelLayer):  # another layer: its own group_send
        for item_layer, names, message in batch:
            for name in names:
                await item_layer.group_send(name, message)
        return
    # channels_redis' pub/sub layer (pinned in the lock file): PUBLISH to its group channels,
    # all of a shard's in one pipeline, in order.
    loop_layer = layer._get_layer()
    by_shard: dict[Any, list[tuple[str, bytes]]] = {}
    for _layer, names, message in batch:
        data = layer.serialize(message)
        for name in names:
            channel = loop_layer._get_group_channel_name(name)
            by_shard.setdefault(loop_layer._get_shard(channel), []).append((channel, data))
    for shard, items in by_shard.items():
        async with shard._lock:
            shard._ensure_redis()
            pipe = shard._redis.pipeline(transaction=False)
            for channel, data in items:
                pipe.publish(channel, data)
            await pipe.execute()


def publish(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Queue `event` for each group now (use `publish_on_commit` from services)."""
    layer = get_channel_layer()
    if layer is None:
        return
    # The client frame is serialised here, once: every socket of every group forwards the same
    # text, instead of each decoding a payload from the channel layer and encoding it again.
    frame = json.dumps(
        {"type": event, "payload": payload}, ensure_ascii=False, separators=(",", ":")
    )
    # One id per publish, the same in every group: a socket in two of the groups (a supervisor
    # who also holds the chat) forwards it once, and a repeat of the same news still arrives.
    message = {"type": FRAME_HANDLER, "event": event, "frame": frame, "id": uuid.uuid4().hex}
    item = (layer, list(dict.fromkeys(to)), message)
    loop = _server_loop.get()
    if loop is not None:
        try:
            loop.call_soon_threadsafe(_enqueue, item)
            return
        except RuntimeError:  # that loop has closed (a finished test's, a stopping server's)
            pass
    _thread_loop.get().call_soon_threadsafe(_enqueue, item)


def publish_flush(timeout: float = PUBLISH_TIMEOUT_SECONDS) -> bool:
    """Wait until the events published from outside a server loop have reached Redis."""
    return _thread_loop.flush(timeout)


def bind_server_loop(app: Any) -> Any:
    """ASGI wrapper: work done for this connection publishes on the server's own loop."""

    async def bound(scope: dict[str, Any], receive: Any, send: Any) -> None:
        _server_loop.set(asyncio.get_running_loop())
        await app(scope, receive, send)

    return bound


def publish_on_commit(event: str, payload: dict[str, Any], *, to: Iterable[str]) -> None:
    """Publish once the current transaction commits (immediately outside one)."""
    groups = list(to)
    transaction.on_commit(lambda: publish(event, payload, to=groups))


def company_sockets_end(schema_name: str, reason: str) -> None:
    """After the current transaction commits, close every open socket of the company (panel
    and widget, in every server process); frames they send meanwhile are refused."""
    publish_on_commit(
        SESSION_ENDED,
        {"reason": reason},
        to=[group(COMPANY_GROUP, schema_name=schema_name)],
    )
