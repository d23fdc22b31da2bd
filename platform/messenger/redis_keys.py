"""Raw Redis access for what the cache API cannot express (presence, counters, streams).

Every key is built by `tenant_key`, which always carries the active company's schema, so a
value written for one company can never be read through another's (docs/architecture.md, Tenancy).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from messenger.schema import current_schema

if TYPE_CHECKING:
    import redis


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """The process's client. redis-py (with its asyncio and cluster modules) is loaded on the
    first call, not by every module that builds keys, e.g. in migrations or checks."""
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)


def tenant_key(*parts: object, schema_name: str | None = None) -> str:
    """`t:<schema>:<part>:<part>…`; the schema defaults to the connection's active one."""
    schema = schema_name or current_schema()
    if not schema:
        raise RuntimeError("No company schema is active; refusing to build a Redis key")
    return ":".join(["t", schema, *(str(p) for p in parts)])
