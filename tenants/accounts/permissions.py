"""View guards for the panel: a logged-in person of this company, optionally of a given role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.accounts.models import User
from tenants.console.two_factor import session_verified

if TYPE_CHECKING:
    from tenants.companies.models import Company

View = Callable[..., HttpResponse]


class AuthenticatedRequest(HttpRequest):
    """A request whose user has logged in (behind `panel_view`, the panel API's session check
    or the console's staff check). Only a type: Django still builds plain HttpRequests."""

    user: User
    tenant: Company  # set by django-tenants' middleware on a company's host


def panel_view(*, admin: bool = False, supervisor: bool = False) -> Callable[[View], View]:
    """Require a company host, a logged-in user and, optionally, the admin/supervisor role."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            company = getattr(request, "tenant", None)
            if company is None or not company.pk:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = (
                request.user.is_company_admin
                if admin
                else request.user.is_supervisor_or_admin
                if supervisor
                else True
            )
            if not allowed:
                return render(request, "errors/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def staff_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Platform staff on the base host only, past both factors (password, then a TOTP code:
    tenants/console/two_factor.py); a company host never serves the console."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = getattr(request, "tenant", None)
        if company is not None and company.pk:
            raise Http404
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url="console-login")
        if not (request.user.is_staff and request.user.is_active):
            return render(request, "errors/forbidden.html", status=403)
        if not session_verified(request):
            return redirect_to_login(request.get_full_path(), login_url="console-2fa")
        return view(request, *args, **kwargs)

    return wrapped
