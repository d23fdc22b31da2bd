"""Operator presence: which operators have a live panel socket, what opening, pinging and
closing one means, and the grace period before a gone operator is set offline.

Presence lives in Redis: one sorted set per company, a member per open socket, scored by
its expiry. A crashed server's sockets simply expire; nothing has to clean up after it.

Sockets record themselves best-effort: while Redis is down an operator's socket stays open
(its pings cannot refresh presence, and its opening cannot announce it); every socket records
itself again when the channel layer has Redis back, and at each ping.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.utils import timezone

from inboxes.conversations import events, recipients
from inboxes.routing.operators import operator_status_set
from messenger.kernel.deadlines import deadline_handler, deadline_schedule
from messenger.realtime import publish
from messenger.redis_keys import redis_client, tenant_key
from messenger.schema import current_schema
from tenants.accounts.models import User

log = logging.getLogger(__name__)

SOCKET_TTL_SECONDS = 75
PRESENCE_GRACE = "presence_grace"  # the deadline kind: set offline unless a socket is back


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


def _presence_publish(user_id: int, online: bool) -> None:
    publish(
        events.PRESENCE_CHANGED,
        {"user_id": user_id, "online": online},
        to=[recipients.staff_group()],
    )


def operator_socket_opened(*, user: User, socket_id: str) -> None:
    """A panel socket opened (run in the company's schema): the operator is present, and
    opening the panel is coming to work (an offline operator goes online)."""
    operator_socket_pinged(user_id=user.pk, socket_id=socket_id)
    if user.status == User.Status.OFFLINE:
        operator_status_set(user=user, status=User.Status.ONLINE)


def operator_socket_pinged(*, user_id: int, socket_id: str) -> None:
    """A panel socket is alive: supervisors hear when its operator comes online."""
    if presence_touch(schema_name=current_schema(), user_id=user_id, socket_id=socket_id):
        _presence_publish(user_id, True)


def operator_socket_closed(*, user_id: int, socket_id: str) -> None:
    """A panel socket closed: when it was the operator's last, supervisors hear it and the
    grace period starts (presence_gone)."""
    if presence_drop(schema_name=current_schema(), user_id=user_id, socket_id=socket_id):
        _presence_publish(user_id, False)
        presence_gone(user_id=user_id)


def presence_gone(*, user_id: int) -> None:
    """The user's last socket closed: set them offline unless one reappears in the grace."""
    deadline_schedule(
        kind=PRESENCE_GRACE,
        object_id=user_id,
        due_at=timezone.now() + timedelta(seconds=settings.PRESENCE_GRACE_SECONDS),
    )


def presence_grace_fire(user_id: int) -> str:
    if user_online(schema_name=current_schema(), user_id=user_id):
        return "back"
    user = User.objects.filter(pk=user_id).exclude(status=User.Status.OFFLINE).first()
    if user is None:
        return "already offline"
    operator_status_set(user=user, status=User.Status.OFFLINE)
    return "offline"


@deadline_handler(PRESENCE_GRACE)
def presence_grace_deadline(user_id: int, _token: int) -> None:
    presence_grace_fire(user_id)
