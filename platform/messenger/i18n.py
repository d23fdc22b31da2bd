"""Language choice: the user's own choice, else the company's language, else the browser's.

The chat widget names the language it runs in with `X-Widget-Lang` on every widget API call;
its answers (errors included) are in that language, never the browser's."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_CODES = {code for code, _ in settings.LANGUAGES}
WIDGET_PREFIX = "/widget/"
WIDGET_LANGUAGE_HEADER = "X-Widget-Lang"


def widget_language(request: HttpRequest) -> str:
    """The language a widget API call names in `X-Widget-Lang`, or "" when none it knows."""
    if not request.path.startswith(WIDGET_PREFIX):
        return ""
    language = request.headers.get(WIDGET_LANGUAGE_HEADER, "")
    return language if language in LANGUAGE_CODES else ""


def request_language(request: HttpRequest) -> str:
    """The language a request is answered in."""
    widget = widget_language(request)
    if widget:
        return widget
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in LANGUAGE_CODES:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in LANGUAGE_CODES:
        return user.language
    company = getattr(request, "tenant", None)
    if company is not None and company.pk and company.language in LANGUAGE_CODES:
        return company.language
    return translation.get_language_from_request(request)


class CompanyLanguageMiddleware:
    """Activates the request's language (placed after authentication)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
