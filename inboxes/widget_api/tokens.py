"""Signed visitor tokens: bound to a company schema, an inbox and a contact, with an expiry."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

SALT = "messenger.visitor"
MAX_AGE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class VisitorClaims:
    schema_name: str
    inbox_id: int
    contact_id: int


def visitor_token_make(*, schema_name: str, inbox_id: int, contact_id: int) -> str:
    return signing.dumps(
        {"s": schema_name, "i": inbox_id, "c": contact_id}, salt=SALT, compress=True
    )


def visitor_token_read(token: str) -> VisitorClaims | None:
    """The claims of a valid, unexpired token; None otherwise."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_SECONDS)
        return VisitorClaims(str(data["s"]), int(data["i"]), int(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
