"""One-time tickets that open a visitor's socket or event stream without a token in the URL.

A WebSocket and an EventSource cannot send an Authorization header, and URLs end up in access
logs, proxies and browser history. So the widget first trades its token for a ticket over HTTP
(`POST /widget/v1/tickets`, token in the header), then opens the socket with `?ticket=…`. A
ticket is 32 random bytes, lives `WIDGET_TICKET_SECONDS` (30 s) and is consumed by its first
use (Redis GETDEL): a ticket read from a log is already spent or expired.
"""

from __future__ import annotations

import secrets

from django.conf import settings

from messenger.redis_keys import redis_client

PREFIX = "widget-ticket:"


def ticket_issue(token: str) -> str:
    """A new ticket standing for `token` (already checked by the caller)."""
    ticket = secrets.token_urlsafe(32)
    redis_client().set(PREFIX + ticket, token, ex=settings.WIDGET_TICKET_SECONDS)
    return ticket


def ticket_redeem(ticket: str) -> str:
    """The token a ticket stands for, once; "" for an unknown, expired or used ticket."""
    if not ticket or len(ticket) > 64:
        return ""
    token = redis_client().getdel(PREFIX + ticket)
    return str(token) if token else ""
