"""Run ORM work from async code inside a company's schema, on the thread that does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.db import connection

T = TypeVar("T")


def _in_schema(schema: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    connection.set_schema(schema)
    return fn(*args, **kwargs)


async def in_schema(schema: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` in a worker thread whose connection is set to `schema`."""
    return await database_sync_to_async(_in_schema)(schema, fn, *args, **kwargs)
