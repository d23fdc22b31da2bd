"""Read-only accounts: while a subscription is unpaid past its grace (or canceled), the panel
refuses every change to people, inboxes and settings, and nothing else. Chats keep arriving,
visitors are never refused, and operators read and answer as before; paying restores all at
once (the status is read on each request). Nothing is deleted for non-payment."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from billing.limits import read_only_error
from billing.services import subscription_of

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Writes under these paths change people, inboxes or settings: refused while read-only.
LOCKED_PREFIXES = ("/settings/", "/invite/", "/api/v1/branches", "/api/v1/team")


class ReadOnlyAccountMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        company = getattr(request, "tenant", None)
        if (
            request.method not in SAFE_METHODS
            and company is not None
            and company.pk
            and request.path.startswith(LOCKED_PREFIXES)
            and not subscription_of(company).can_write
        ):
            reason = read_only_error().messages[0]
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": reason}, status=403)
            base = "panel_base.html" if request.user.is_authenticated else "public_base.html"
            context = {"reason": reason, "base_template": base}
            return render(request, "billing/read_only.html", context, status=403)
        return self.get_response(request)
