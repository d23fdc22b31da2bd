"""The superadmin console on the base host: staff login, company list, record, suspension."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.accounts.permissions import AuthenticatedRequest, staff_view
from tenants.accounts.ratelimits import RateLimitedLoginView
from tenants.companies.models import Company
from tenants.console import selectors, services


def _client(request: HttpRequest) -> dict[str, Any]:
    return {
        "ip_address": request.META.get("REMOTE_ADDR"),
        "user_agent": request.headers.get("User-Agent", ""),
    }


class ConsoleLoginView(RateLimitedLoginView):
    """Staff log in on the base host; failed attempts are limited like a company's logins."""

    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return "/console/"

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        if not form.get_user().is_staff:
            form.add_error(None, _("This login is for platform staff only."))
            return self.form_invalid(form)
        response = super().form_valid(form)
        services.audit_record(
            actor=form.get_user(), action="console.login", **_client(self.request)
        )
        return response


@staff_view
def company_list_view(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    status = request.GET.get("status", "")
    page = Paginator(selectors.company_search(query=query, status=status), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "console/company_list.html",
        {"page": page, "q": query, "status": status, "statuses": Company.Status.choices},
    )


@staff_view
def company_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.exclude(schema_name="public"), pk=pk)
    services.audit_record(
        actor=request.user, action="company.viewed", company=company, **_client(request)
    )
    return render(
        request,
        "console/company_detail.html",
        {"c": company, "audit": selectors.audit_for_company(company=company)},
    )


@require_POST
@staff_view
def company_suspend_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company.objects.exclude(schema_name="public"), pk=pk)
    try:
        if request.POST.get("action") == "reactivate":
            services.company_reactivate(company=company, actor=request.user, **_client(request))
            messages.success(request, _("The company is active again."))
        else:
            services.company_suspend(
                company=company,
                reason=request.POST.get("reason", ""),
                actor=request.user,
                **_client(request),
            )
            messages.success(request, _("The company is suspended."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console-company", pk=company.pk)


@require_POST
def console_logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    return redirect("console-login")
