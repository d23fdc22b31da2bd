"""Recently blocked origins per inbox (shown in its settings to help the admin)."""

from __future__ import annotations

import time
from typing import cast

from messenger.redis_keys import redis_client, tenant_key

KEEP = 20
TTL_SECONDS = 7 * 24 * 3600


def blocked_origin_record(*, inbox_id: int, host: str | None) -> None:
    key = tenant_key("blocked", inbox_id)
    try:
        client = redis_client()
        client.zadd(key, {(host or "(no origin)")[:253]: time.time()})
        client.zremrangebyrank(key, 0, -KEEP - 1)
        client.expire(key, TTL_SECONDS)
    except Exception:  # a lost hint must never turn a 403 into a 500
        return


def blocked_origins(*, inbox_id: int) -> list[tuple[str, float]]:
    try:
        found = redis_client().zrevrange(
            tenant_key("blocked", inbox_id), 0, KEEP - 1, withscores=True
        )
        # The client decodes responses: (host, time) pairs.
        return [(host, when) for host, when in cast(list[tuple[str, float]], found)]
    except Exception:
        return []
