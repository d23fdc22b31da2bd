"""Run ORM work from async code inside a company's schema, on a pool of database threads.

Channels' default (`thread_sensitive`) runs every socket's ORM work on one shared thread: one
message being stored made every other socket's send wait, and the server stopped keeping up
at ~160 messages/s however idle the cores were (bench/realtime.py). Socket work does not need
one thread: each call sets its schema on its own thread's connection, a socket handles its
frames one after another, and row locks order concurrent writers. So the work goes to a pool
of REALTIME_DB_THREADS threads (one database connection each, kept for CONN_MAX_AGE).
The visitor and operator sockets and the widget's event stream (SSE) use it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings

from messenger.schema import schema_activate

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.REALTIME_DB_THREADS, thread_name_prefix="realtime-db"
            )
        return _executor


def _in_schema(schema: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    schema_activate(schema)
    return fn(*args, **kwargs)


async def in_schema(schema: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a database thread whose connection is set to `schema`."""
    call = DatabaseSyncToAsync(_in_schema, thread_sensitive=False, executor=_pool())
    return await call(schema, fn, *args, **kwargs)
