"""Operator presence in Redis: one sorted set per company, a member per open socket, scored by
its expiry. A crashed server's sockets simply expire; nothing has to clean up after it.

Sockets record themselves best-effort: while Redis is down an operator's socket stays open
(its pings cannot refresh presence, and its opening cannot announce it); every socket records
itself again when the channel layer has Redis back, and at each ping.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from messenger.redis_keys import redis_client, tenant_key

log = logging.getLogger(__name__)

SOCKET_TTL_SECONDS = 75


def _key(schema_name: str) -> str:
    return tenant_key("presence", schema_name=schema_name)


def presence_touch(*, schema_name: str, user_id: int, socket_id: str) -> bool:
    """Record a live socket; True when the user was offline before it (False when Redis
    cannot tell: nothing is announced)."""
    client, key, now = redis_client(), _key(schema_name), time.time()
    from redis import RedisError  # loaded by redis_client(), not by importing this module

    try:
        was_online = user_online(schema_name=schema_name, user_id=user_id, now=now)
        client.zadd(key, {f"{user_id}:{socket_id}": now + SOCKET_TTL_SECONDS})
        client.expire(key, SOCKET_TTL_SECONDS * 4)
    except RedisError:
        log.warning("presence not recorded: Redis unavailable", exc_info=True)
        return False
    return not was_online


def presence_drop(*, schema_name: str, user_id: int, socket_id: str) -> bool:
    """Forget a socket; True when it was the user's last live one. Also True when Redis cannot
    tell: the presence grace period then checks again (the user's other sockets record
    themselves as soon as Redis is back)."""
    client = redis_client()
    from redis import RedisError  # loaded by redis_client(), not by importing this module

    try:
        client.zrem(_key(schema_name), f"{user_id}:{socket_id}")
        return not user_online(schema_name=schema_name, user_id=user_id)
    except RedisError:
        log.warning("presence not dropped: Redis unavailable", exc_info=True)
        return True


def online_user_ids(*, schema_name: str, now: float | None = None) -> set[int]:
    # The client decodes responses: members are "<user id>:<socket id>" strings.
    members = cast(
        list[str], redis_client().zrangebyscore(_key(schema_name), now or time.time(), "+inf")
    )
    return {int(m.split(":", 1)[0]) for m in members}


def user_online(*, schema_name: str, user_id: int, now: float | None = None) -> bool:
    return user_id in online_user_ids(schema_name=schema_name, now=now)
