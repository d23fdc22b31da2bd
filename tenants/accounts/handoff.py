"""One-time login links that carry a signed-in user from the base host to their company's host.

Cookies are per host, so after signup the new admin is sent to `<slug>.<base>/auth/handoff/`
with a token signed for that schema and user. It expires in two minutes and is single-use:
it embeds the user's last_login, which logging in changes.

Other one-time entries reuse it under their own `purpose` (a separate signing salt, so a token of
one purpose is worthless to another) with extra `claims`: staff visiting a company's panel
(tenants/console/impersonation.py) carry their visit's id and make it single-use themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core import signing

from tenants.accounts.models import User

SALT = "messenger.handoff"
MAX_AGE_SECONDS = 120


def _last_login_mark(user: User) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def _salt(purpose: str) -> str:
    return f"{SALT}.{purpose}" if purpose else SALT


def handoff_token_make(
    *, user: User, schema_name: str, purpose: str = "", claims: Mapping[str, Any] | None = None
) -> str:
    data: dict[str, Any] = {"u": user.pk, "s": schema_name, "l": _last_login_mark(user)}
    if claims:
        data["x"] = dict(claims)
    return signing.dumps(data, salt=_salt(purpose))


def handoff_read(
    *, token: str, schema_name: str, purpose: str = ""
) -> tuple[User, dict[str, Any]] | None:
    """(user, claims) of a token valid for this schema and purpose, whose user has not logged
    in since it was made."""
    try:
        data = signing.loads(token, salt=_salt(purpose), max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != schema_name:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _last_login_mark(user) != data.get("l"):
        return None
    return user, dict(data.get("x") or {})


def handoff_user(*, token: str, schema_name: str) -> User | None:
    """The user the token was made for, if it is valid for this schema and not yet used."""
    found = handoff_read(token=token, schema_name=schema_name)
    return found[0] if found is not None else None
