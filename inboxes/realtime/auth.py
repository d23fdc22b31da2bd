"""Who is on an operator socket: the company from the Host header, the user from the panel's
session cookie, both looked up inside that company's schema (sessions live there)."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils.crypto import constant_time_compare

from messenger.schema import schema_activate_public, tenant_activate
from tenants.accounts.models import User
from tenants.companies.models import Company, Domain
from tenants.console.impersonation import SESSION_KEY as STAFF_ACCESS_SESSION_KEY


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def origin_is_own(origin: str, host_header: str) -> bool:
    """Whether a browser's Origin is the panel's own: scheme, host and port, all three.
    Browsers always send one on a WebSocket handshake; a client without it is no browser
    (and carries no victim's cookie), so it passes to the session check."""
    if not origin:
        return True
    return origin.lower() == f"{settings.PUBLIC_SCHEME}://{host_header}".lower()


def panel_user_for_scope(scope: dict[str, Any]) -> tuple[Company, User] | None:
    """(company, active user) for a WebSocket handshake on a company host, else None."""
    host = _header(scope, b"host").split(":")[0].lower()
    schema_activate_public()
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    if domain is None or domain.tenant.is_suspended:
        return None
    if not origin_is_own(_header(scope, b"origin"), _header(scope, b"host")):
        return None  # a panel socket opened from another site (cross-site WebSocket hijacking)
    company = domain.tenant
    tenant_activate(company)
    cookies = SimpleCookie()
    cookies.load(_header(scope, b"cookie"))
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return None
    session = SessionStore(session_key=morsel.value)
    user_id = session.get(SESSION_KEY)
    if user_id is None or session.get(BACKEND_SESSION_KEY) is None:
        return None
    if session.get(STAFF_ACCESS_SESSION_KEY) is not None:
        return None  # staff visiting as an admin: read-only, never online as them
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    if not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return None
    return company, user
