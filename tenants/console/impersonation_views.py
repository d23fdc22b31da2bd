"""Staff access views: started from the console's company page (base host), entered and ended
on the company's host (tenants/console/impersonation.py)."""

from __future__ import annotations

from django.contrib import auth, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from messenger.tenancy import base_url
from tenants.accounts.permissions import AuthenticatedRequest
from tenants.companies.models import Company
from tenants.console import impersonation
from tenants.console.roles import Role, staff_role_required
from tenants.console.services import StaffAct


@require_POST
@staff_role_required(Role.SUPPORT)
def staff_access_start_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.exclude(schema_name="public"), pk=pk)
    try:
        _access, url = impersonation.staff_access_start(
            company=company, by=StaffAct.of(request, request.user)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console-company", pk=company.pk)
    return redirect(url)


def _company(request: HttpRequest) -> Company:
    company = getattr(request, "tenant", None)
    if company is None or not company.pk:
        raise Http404
    return company


def staff_access_enter_view(request: HttpRequest) -> HttpResponse:
    company = _company(request)
    if not impersonation.staff_access_enter(
        request, token=request.GET.get("token", ""), company=company
    ):
        return redirect("login")
    return redirect("home")


@require_POST
def staff_access_end_view(request: HttpRequest) -> HttpResponse:
    company = _company(request)
    access = getattr(request, "staff_access", None)
    if access is not None:
        impersonation.staff_access_end(
            access,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )
        auth.logout(request)
    return redirect(base_url(f"/console/companies/{company.pk}/"))
