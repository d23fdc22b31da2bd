"""Structured logs: structlog rendering for stdlib logging, with the request's company bound."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import structlog
from django.db import connection
from django.http import HttpRequest, HttpResponse
from structlog.typing import Processor

from messenger.observability import tag_company

FOREIGN_PRE_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

structlog.configure(
    processors=[
        *FOREIGN_PRE_CHAIN,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def structured_formatter(as_json: bool = True) -> logging.Formatter:
    """The formatter every handler uses: JSON lines in production, readable in development."""
    renderer = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=FOREIGN_PRE_CHAIN,
    )


class RequestContextMiddleware:
    """Binds request id, company and user to every log line of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        structlog.contextvars.clear_contextvars()
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        schema = getattr(connection, "schema_name", None)
        user = getattr(request, "user", None)
        structlog.contextvars.bind_contextvars(
            request_id=request_id,
            company=schema,
            user_id=user.pk if user is not None and user.is_authenticated else None,
        )
        tag_company(schema)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
