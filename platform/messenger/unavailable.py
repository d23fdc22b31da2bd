"""A database that refuses or times out answers 503 with a clear page or JSON, never a 500.

PostgreSQL refusing clients (max_connections reached, a failover, the pool's wait running out)
is an outage of a dependency, not a bug in the request: the client gets 503 with Retry-After, in
the company's language, and the log gets one line naming the cause. The debug page never shows
it, even with DEBUG on, because it would print the connection settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
DATABASE_ERRORS = (OperationalError, InterfaceError)
JSON_PREFIXES = ("/api/", "/widget/")


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return request.path.startswith(JSON_PREFIXES) or (
        "application/json" in accept and "text/html" not in accept
    )


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a request that could not reach PostgreSQL, and its log line."""
    log.error(
        "database unavailable: %s: %s",
        type(exc).__name__,
        str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "",
        extra={"path": request.path},
    )
    detail = _("The service is briefly unavailable. Please try again in a few seconds.")
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = HttpResponse(
            render_to_string("errors/unavailable.html", {"detail": detail}), status=503
        )
        # Rendered without the request, so without a nonce: the page carries a policy of its
        # own that allows its inline style and nothing else (the CSP middleware keeps it).
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database refusal raised by a view into the 503 above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, DATABASE_ERRORS):
            return database_unavailable_response(request, exc)
        return None
