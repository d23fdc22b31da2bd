"""Request inputs refused at the boundary, before any view, service or query sees them.

- Text PostgreSQL cannot store, anywhere: a NUL character (U+0000) in the path, the query
  string, a form field, a JSON body or a cookie, or a lone UTF-16 surrogate (which only a JSON
  escape such as "\ud800" can produce). It would otherwise fail as a server error wherever it
  reached the database. The answer is 400 with a translated message.
- Bodies over their limit: JSON and form bodies over `DATA_UPLOAD_MAX_MEMORY_SIZE`, uploads
  (multipart) over `UPLOAD_REQUEST_MAX_BYTES`. The answer is 413.

`BodyLimitMiddleware` (ASGI) keeps the server from reading an oversized body at all: Django's
ASGI handler reads the whole body before any Django middleware runs, so the ASGI layer refuses
by Content-Length without reading, and stops reading a chunked body at the limit.
`InputGuardMiddleware` (Django) then gives the answers, in the request's language.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.translation import gettext as _

from messenger.i18n import request_language

NUL = "\x00"
API_PREFIXES = ("/widget/", "/api/")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Set in the ASGI scope when the body was cut short at its limit (a chunked body sends no length).
SCOPE_BODY_CUT = "messenger.body_cut"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _unstorable(text: str) -> bool:
    if NUL in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def has_unstorable_text(value: object) -> bool:
    """Whether a string, or any key or value of a parsed JSON document, holds text PostgreSQL
    cannot store (NUL, lone surrogates)."""
    if isinstance(value, str):
        return _unstorable(value)
    if isinstance(value, dict):
        return any(has_unstorable_text(k) or has_unstorable_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unstorable_text(item) for item in value)
    return False


def unstorable_text_message() -> str:
    return _("Text must not contain NUL characters (U+0000) or invalid Unicode.")


def body_limit(content_type: str) -> int:
    """The largest body a request of this content type may send, in bytes."""
    if content_type.split(";", 1)[0].strip().lower() == "multipart/form-data":
        return int(settings.UPLOAD_REQUEST_MAX_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _content_length(value: str | bytes | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class InputGuardMiddleware:
    """Answers 413 for a body over its limit, 400 for text PostgreSQL cannot store (above).

    Placed after tenant resolution (the company's language) and before sessions, whose cookie
    is an input too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with translation.override(request_language(request)):
            refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        limit = body_limit(request.content_type or "")
        length = _content_length(request.META.get("CONTENT_LENGTH"))
        scope = getattr(request, "scope", None) or {}
        if scope.get(SCOPE_BODY_CUT) or (length is not None and length > limit):
            return self.too_large(request, limit)
        try:
            found = self.unstorable_found(request)
        except RequestDataTooBig:
            return self.too_large(request, limit)
        except (MultiPartParserError, SuspiciousOperation):
            return self.error(request, 400, _("The request body could not be read."))
        if found:
            return self.error(request, 400, unstorable_text_message())
        return None

    def unstorable_found(self, request: HttpRequest) -> bool:
        if NUL in request.path or has_unstorable_text(request.COOKIES):
            return True
        if any(has_unstorable_text(k) or has_unstorable_text(v) for k, v in request.GET.lists()):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        if request.content_type in FORM_TYPES:
            return any(
                has_unstorable_text(k) or has_unstorable_text(v) for k, v in request.POST.lists()
            )
        # JSON (whatever the declared type: the APIs parse any body as JSON). There, NUL and
        # surrogates can only be written as escapes (\u0000, \ud800): look closer only then.
        body = request.body
        if b"\\u0000" not in body and b"\\ud" not in body.lower():
            return False
        try:
            return has_unstorable_text(json.loads(body))
        except ValueError:
            return False  # not JSON: the view refuses it as such

    def too_large(self, request: HttpRequest, limit: int) -> HttpResponse:
        message = _("The request is too large: at most %(mb)s MB.") % {
            "mb": f"{limit / (1024 * 1024):g}"
        }
        return self.error(request, 413, message)

    def error(self, request: HttpRequest, status: int, message: str) -> HttpResponse:
        if request.path.startswith(API_PREFIXES):
            return JsonResponse({"detail": message}, status=status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class BodyLimitMiddleware:
    """ASGI: never reads more of a request body than its limit (see the module docstring).

    A body declared larger is not read at all; a chunked one is cut at the limit. Either way
    Django gets an empty body, `InputGuardMiddleware` answers 413, and the connection closes
    after the answer (the server would otherwise read the rest to reuse it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = body_limit(headers.get(b"content-type", b"").decode("latin-1"))
        length = _content_length(headers.get(b"content-length"))
        scope = {**scope, SCOPE_BODY_CUT: length is not None and length > limit}
        received = 0
        ended = False

        async def limited_receive() -> Message:
            nonlocal received, ended
            if scope[SCOPE_BODY_CUT]:
                if ended:
                    # Django now only listens for a disconnect until it has answered; reading
                    # on would read the refused body. It cancels this wait once it answered.
                    await asyncio.Future()
                ended = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    scope[SCOPE_BODY_CUT] = ended = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and scope[SCOPE_BODY_CUT]:
                # the rest of the body is still on its way: the server closes the connection
                # after the answer instead of reading it to reuse the connection
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited_receive, closing_send)
