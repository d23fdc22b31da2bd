"""Signed visitor tokens: bound to a company schema, an inbox and a contact, with an expiry and
the moment they were issued (a contact's sessions can be ended: tokens issued before that are
refused, see `visitor_for_claims`).

A token is a bearer credential for 30 days: it travels only in the Authorization header and in
request bodies, never in a URL (sockets and event streams use a one-time ticket, `tickets.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.core import signing

SALT = "messenger.visitor"
MAX_AGE_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True)
class VisitorClaims:
    schema_name: str
    inbox_id: int
    contact_id: int
    issued_at: float = 0.0  # seconds since the epoch; 0 for tokens made before it was carried


def visitor_token_make(*, schema_name: str, inbox_id: int, contact_id: int) -> str:
    return signing.dumps(
        {"s": schema_name, "i": inbox_id, "c": contact_id, "t": round(time.time(), 3)},
        salt=SALT,
        compress=True,
    )


def visitor_token_read(token: str) -> VisitorClaims | None:
    """The claims of a valid, unexpired token; None otherwise."""
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE_SECONDS)
        return VisitorClaims(
            str(data["s"]), int(data["i"]), int(data["c"]), float(data.get("t", 0.0))
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None
