"""One-time login links that carry a signed-in user from the base host to their company's host.

Cookies are per host, so after signup the new admin is sent to `<slug>.<base>/auth/handoff/`
with a token signed for that schema and user. It expires in two minutes and is single-use:
it embeds the user's last_login, which logging in changes.
"""

from __future__ import annotations

from django.core import signing

from tenants.accounts.models import User

SALT = "messenger.handoff"
MAX_AGE_SECONDS = 120


def _last_login_mark(user: User) -> str:
    return user.last_login.isoformat() if user.last_login else ""


def handoff_token_make(*, user: User, schema_name: str) -> str:
    return signing.dumps({"u": user.pk, "s": schema_name, "l": _last_login_mark(user)}, salt=SALT)


def handoff_user(*, token: str, schema_name: str) -> User | None:
    """The user the token was made for, if it is valid for this schema and not yet used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data.get("s") != schema_name:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or _last_login_mark(user) != data.get("l"):
        return None
    return user
