"""CORS for the widget API: the widget runs on customers' sites, so it calls us cross-origin.

The browser is allowed to read responses (no cookies are involved: the visitor token travels in
a header); whether the origin may *use* an inbox is decided by the inbox's allowlist in every
endpoint, which answers 403 before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/widget/"


class WidgetCorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, PATCH, OPTIONS"
            response["Access-Control-Allow-Headers"] = (
                "Authorization, Content-Type, Last-Event-ID, X-Widget-Lang, X-Widget-Site"
            )
            response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
        origin = request.headers.get("Origin")
        if origin:
            response["Access-Control-Allow-Origin"] = origin
            response["Vary"] = "Origin"
        return response
