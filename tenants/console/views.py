"""The superadmin console on the base host: staff login, the companies list with its business
columns, a company's record, suspension (the other actions: tenants.console.action_views)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.models import Plan, PlanPrice
from billing.services import subscription_of
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


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def company_filters(params: QueryDict) -> selectors.CompanyFilters:
    return selectors.CompanyFilters(
        query=params.get("q", ""),
        state=params.get("state", "") or params.get("status", ""),
        plan=params.get("plan", ""),
        currency=params.get("currency", ""),
        seats_full=params.get("seats_full") == "1",
        mrr_min=_int(params.get("mrr_min"), 0) or 0,
        trial_ends_within=_int(params.get("trial_days")),
        inactive_days=_int(params.get("inactive_days")),
        conversations_min=_int(params.get("conversations_min"), 0) or 0,
    )


@staff_view
def company_list_view(request: AuthenticatedRequest) -> HttpResponse:
    filters = company_filters(request.GET)
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    companies = selectors.company_search(filters, sort=sort)
    page = Paginator(companies, 50).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    unsorted = keep.copy()
    unsorted.pop("sort", None)
    return render(
        request,
        "console/company_list.html",
        {
            "page": page,
            "f": filters,
            "sort": sort,
            "keep": keep.urlencode(),
            "unsorted": unsorted.urlencode(),
            "states": console_states(),
            "plans": Plan.objects.order_by("sort_order", "pk"),
            "currencies": PlanPrice.Currency.choices,
            "totals": sorted(selectors.mrr_totals(companies).items()),
        },
    )


def console_states() -> list[tuple[str, str]]:
    return [
        ("trial", _("Trial")),
        ("active", _("Active")),
        ("past_due", _("Payment due")),
        ("read_only", _("Read-only")),
        ("canceled", _("Canceled")),
        ("suspended", _("Suspended")),
    ]


@staff_view
def company_detail_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A company's record. Looking is not an action: it writes no audit row."""
    company = get_object_or_404(selectors.companies_annotated(), pk=pk)
    subscription = subscription_of(company)
    return render(
        request,
        "console/company_detail.html",
        {
            "c": company,
            "subscription": subscription,
            "prices": PlanPrice.objects.select_related("plan").filter(is_active=True),
            "plans": Plan.objects.filter(is_trial=False),
            "audit": selectors.audit_for_company(company=company),
        },
    )


@require_POST
@staff_view
def company_suspend_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    by = _staff_act(request)
    if request.POST.get("action") == "reactivate":
        return _action(
            request,
            pk,
            lambda company: services.company_reactivate(company=company, by=by),
            _("The company is active again."),
        )
    return _action(
        request,
        pk,
        lambda company: services.company_suspend(company=company, by=by),
        _("The company is suspended."),
    )


@require_POST
def console_logout_view(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    logout(request)
    return redirect("console-login")


def _staff_act(request: AuthenticatedRequest) -> services.StaffAct:
    return services.StaffAct.of(request, request.user)


def _action(
    request: AuthenticatedRequest, pk: int, act: Callable[[Company], object], done: str
) -> HttpResponse:
    company = get_object_or_404(Company.objects.exclude(schema_name="public"), pk=pk)
    try:
        act(company)
        messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("console-company", pk=company.pk)


@require_POST
@staff_view
def company_plan_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    price = (
        PlanPrice.objects.select_related("plan")
        .filter(pk=_int(request.POST.get("price"), 0) or 0)
        .first()
    )

    def act(company: Company) -> None:
        if price is None:
            raise ValidationError(_("Choose a plan and price."))
        services.company_plan_set(
            company=company,
            plan=price.plan,
            seats=_int(request.POST.get("seats"), 0) or 0,
            price=price,
            by=_staff_act(request),
        )

    return _action(request, pk, act, _("The plan is changed."))


def _count_action(
    request: AuthenticatedRequest, pk: int, service: Callable[..., None], field: str, done: str
) -> HttpResponse:
    """An action that takes one number from the form (`field`) besides the reason."""
    count = _int(request.POST.get(field), 0) or 0
    return _action(
        request, pk, lambda c: service(company=c, by=_staff_act(request), **{field: count}), done
    )


@require_POST
@staff_view
def company_trial_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    service = services.company_trial_extend
    return _count_action(request, pk, service, "days", _("The trial is extended."))


@require_POST
@staff_view
def company_seats_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    service = services.company_free_seats_add
    return _count_action(request, pk, service, "seats", _("The free seats are added."))
