"""On a company's host, a staff visit's session (tenants/console/impersonation.py) is read-only
and ends with its time: any request after that ends the visit, logs the session out and sends
the browser back to the console. While it lasts, `request.staff_access` feeds the panel's
banner, and every change is refused (the visit's End and the panel's Log out end it)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import auth
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from messenger.tenancy import base_url
from tenants.console import impersonation
from tenants.console.models import StaffAccess

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class StaffAccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        company = getattr(request, "tenant", None)
        session = getattr(request, "session", None)
        if (
            company is None
            or not company.pk
            or session is None
            or not session.get(impersonation.SESSION_KEY)
        ):
            return self.get_response(request)
        access = impersonation.session_access(request)
        if access is None or not access.is_open():
            if access is not None:
                impersonation.staff_access_end(access, end_reason=StaffAccess.End.EXPIRED)
            auth.logout(request)
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("The staff access has ended.")}, status=401)
            return redirect(base_url(f"/console/companies/{company.pk}/"))
        request.staff_access = access  # type: ignore[attr-defined]
        if request.method in SAFE_METHODS or request.path == reverse("staff-access-end"):
            return self.get_response(request)
        if request.path == reverse("logout"):
            impersonation.staff_access_end(access, ip_address=request.META.get("REMOTE_ADDR"))
            return self.get_response(request)
        detail = _("Staff access is read-only: nothing can be changed or sent.")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=403)
        return render(
            request, "console/staff_access_read_only.html", {"reason": detail}, status=403
        )
