"""Rate limits of the widget API: new visitors, new conversations, offline requests, and a
visitor's messages and typing signals sent over HTTP.

Counters live in the default cache (Redis) through django-ratelimit, like the account entry
points' (tenants/accounts/ratelimits.py): fixed windows, rates read from settings on each request
("<count>/<period>", empty turns one limit off, `RATELIMIT_ENABLE` all of them). They are called
once the company is known (from the public key or the visitor token), so every key starts with
its schema: one company's visitors never spend another's budget.

A request is counted against the narrowest scope first (visitor, then client IP, then the whole
company) and stops at the first limit it is over: a flood from one address is refused before it
spends the company's budget, which would lock out every other visitor. Refusals raise
`RateLimited` (HTTP 429 with `Retry-After`). The limits protect the service, they are not what
keeps data correct: when the cache cannot be reached, requests are let through.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django_ratelimit.core import get_usage

from inboxes.conversations.services import conversation_open_for
from inboxes.models import Contact, Inbox
from inboxes.visitors.context import WidgetError
from messenger.schema import current_schema
from tenants.accounts.ratelimits import ip_key, rate_setting

log = logging.getLogger(__name__)


def _cache_unavailable() -> tuple[type[BaseException], ...]:
    """What the Redis cache raises when Redis is away. Looked up when an error is being
    handled (redis-py is loaded by the cache backend by then), so importing this module
    loads no Redis client."""
    from redis.exceptions import RedisError

    return (RedisError, OSError)


NETWORK_LIMITED = gettext_lazy(
    "Too many chats are being started from your network. Please try again in a few minutes."
)
BUSY_LIMITED = gettext_lazy(
    "The chat is receiving too many requests right now. Please try again in a few minutes."
)
CONVERSATION_LIMITED = gettext_lazy(
    "You have started too many conversations. Please try again later."
)
REQUEST_LIMITED = gettext_lazy("You have sent too many requests. Please try again later.")
MESSAGE_LIMITED = gettext_lazy(
    "You are sending messages too fast. Wait a moment and they will be sent."
)


class RateLimited(WidgetError):
    """Over a limit: answered 429, with how many seconds to wait in `Retry-After`."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    group: str  # the counter's name
    setting: str  # the setting holding its rate
    scope: str  # "visitor", "ip" or "company"
    message: Promise


SESSION = (
    Limit("widget.session.ip", "RATELIMIT_WIDGET_SESSION_IP", "ip", NETWORK_LIMITED),
    Limit("widget.session.company", "RATELIMIT_WIDGET_SESSION_COMPANY", "company", BUSY_LIMITED),
)
CONVERSATION = (
    Limit(
        "widget.conversation.visitor",
        "RATELIMIT_WIDGET_CONVERSATION_VISITOR",
        "visitor",
        CONVERSATION_LIMITED,
    ),
    Limit("widget.conversation.ip", "RATELIMIT_WIDGET_CONVERSATION_IP", "ip", NETWORK_LIMITED),
    Limit(
        "widget.conversation.company",
        "RATELIMIT_WIDGET_CONVERSATION_COMPANY",
        "company",
        BUSY_LIMITED,
    ),
)
REQUEST = (
    Limit("widget.request.visitor", "RATELIMIT_WIDGET_REQUEST_VISITOR", "visitor", REQUEST_LIMITED),
    Limit("widget.request.ip", "RATELIMIT_WIDGET_REQUEST_IP", "ip", NETWORK_LIMITED),
    Limit("widget.request.company", "RATELIMIT_WIDGET_REQUEST_COMPANY", "company", BUSY_LIMITED),
)
MESSAGE = (
    Limit("widget.message.visitor", "RATELIMIT_WIDGET_MESSAGE_VISITOR", "visitor", MESSAGE_LIMITED),
)
TYPING = (
    Limit("widget.typing.visitor", "RATELIMIT_WIDGET_TYPING_VISITOR", "visitor", MESSAGE_LIMITED),
)


def _scope_value(limit: Limit, request: HttpRequest, contact: Contact | None) -> str:
    schema = current_schema()
    if limit.scope == "ip":
        return ip_key(limit.group, request)  # the schema and the address (IPv6: its /64)
    if limit.scope == "visitor":
        if contact is None:
            raise ValueError(f"{limit.group} counts per visitor: pass the contact")
        return f"{schema}:{contact.pk}"
    return schema


def limits_spend(
    request: HttpRequest, limits: Sequence[Limit], *, contact: Contact | None = None
) -> None:
    """Count this request against each limit in turn; raise `RateLimited` at the first one it
    is over (the wider ones are then not spent). Run in the company's schema."""
    for limit in limits:
        value = _scope_value(limit, request, contact)
        try:
            usage = get_usage(
                request,
                group=limit.group,
                key=lambda group, req, value=value: value,
                rate=rate_setting(limit.setting),
                increment=True,
            )
        except _cache_unavailable():
            log.warning("rate limit counter unavailable", extra={"ratelimit": limit.group})
            return
        if usage is None or not usage["should_limit"]:
            continue
        if usage["time_left"] < 0:  # the cache answered nothing: let the request through
            log.warning("rate limit counter unavailable", extra={"ratelimit": limit.group})
            return
        log.warning("rate limit reached", extra={"ratelimit": limit.group})
        raise RateLimited(str(limit.message), retry_after=max(1, int(usage["time_left"])))


def session_admit(request: HttpRequest) -> None:
    """A new visitor (a session without a valid token) from this address, for this company."""
    limits_spend(request, SESSION)


def conversation_admit(request: HttpRequest, *, inbox: Inbox, contact: Contact) -> None:
    """Starting a conversation: counted only when it would be a new one (resuming the open
    conversation is free, whatever the number of tabs asking)."""
    if conversation_open_for(inbox=inbox, contact=contact) is None:
        limits_spend(request, CONVERSATION, contact=contact)


def request_admit(request: HttpRequest, *, contact: Contact) -> None:
    """An offline request (each is a conversation waiting in the panel)."""
    limits_spend(request, REQUEST, contact=contact)


def message_admit(request: HttpRequest, *, contact: Contact) -> None:
    limits_spend(request, MESSAGE, contact=contact)


def typing_admit(request: HttpRequest, *, contact: Contact) -> None:
    limits_spend(request, TYPING, contact=contact)
