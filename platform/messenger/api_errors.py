"""The error answers of the JSON APIs, declared per operation in their OpenAPI documents.

Every error is `{"detail": …}`: a sentence (400, 401, 403, 404, 413, or a refused action), the
messages per field from a service (422: `{"field": ["…"]}`), or the request's validation errors
as django-ninja reports them (422: `[{"loc": […], "msg": "…", "type": "…"}]`).
"""

from __future__ import annotations

from typing import Any

from ninja import Schema

# What any request to the panel API may get (every operation needs the operator's session):
# text PostgreSQL cannot store or an unreadable body (400), no session (401), a failed CSRF
# check, a role or company that may not (403), not a company's host or an unknown object (404),
# a body over its limit (413). Operations with inputs (an id in the path too) also answer 422.
PANEL_ANY = (400, 401, 403, 404, 413)


class Error(Schema):
    detail: str | dict[str, list[str]] | list[dict[str, Any]]


def answers(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's responses: its successes and the error statuses it can answer with."""
    return {**ok, **dict.fromkeys(errors, Error)}
