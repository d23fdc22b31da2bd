"""Settings pages: "Routing" (rules, timeouts, out of hours), branch hours, inbox settings."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inboxes.models import RoutingRule, RoutingSettings
from inboxes.panel.routing_forms import (
    WEEKDAYS,
    HoursExceptionForm,
    RoutingSettingsForm,
    RuleForm,
    WeekHoursForm,
)
from inboxes.routing import configuration
from tenants.accounts.permissions import panel_view
from tenants.organization.models import Branch


def _settings_initial(config: RoutingSettings) -> dict[str, object]:
    fallback = [str(i) for i in config.fallback_branch_ids] + ["", "", ""]
    return {
        "escalation_minutes": Decimal(config.escalation_timeout_seconds) / 60,
        "out_of_hours": config.out_of_hours,
        "fallback_1": fallback[0],
        "fallback_2": fallback[1],
        "fallback_3": fallback[2],
        "out_of_hours_message_ru": config.out_of_hours_message_ru,
        "out_of_hours_message_en": config.out_of_hours_message_en,
    }


@panel_view(admin=True)
def routing_view(request: HttpRequest) -> HttpResponse:
    config = RoutingSettings.current()
    rule_form = RuleForm(prefix="rule")
    settings_form = RoutingSettingsForm(prefix="cfg", initial=_settings_initial(config))
    if request.method == "POST" and request.POST.get("form") == "rule":
        rule_form = RuleForm(request.POST, prefix="rule")
        if rule_form.is_valid():
            data = rule_form.cleaned_data
            try:
                configuration.routing_rule_create(
                    country_code=data["country_code"],
                    region_code=data["region_code"],
                    branch_id=data["branch"],
                    label=data["label"],
                )
            except ValidationError as exc:
                rule_form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _("Rule added."))
                return redirect("routing")
    elif request.method == "POST":
        settings_form = RoutingSettingsForm(request.POST, prefix="cfg")
        if settings_form.is_valid():
            data = settings_form.cleaned_data
            try:
                configuration.routing_settings_update(
                    escalation_timeout_seconds=int(data["escalation_minutes"] * 60),
                    out_of_hours=data["out_of_hours"],
                    fallback_branch_ids=[
                        data[f] for f in ("fallback_1", "fallback_2", "fallback_3") if data[f]
                    ],
                    out_of_hours_message_ru=data["out_of_hours_message_ru"],
                    out_of_hours_message_en=data["out_of_hours_message_en"],
                )
            except ValidationError as exc:
                settings_form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _("Routing settings saved."))
                return redirect("routing")
    return render(
        request,
        "inboxes/routing.html",
        {
            "rows": configuration.routing_rule_rows(),
            "rule_form": rule_form,
            "settings_form": settings_form,
            "section": "routing",
        },
    )


@require_POST
@panel_view(admin=True)
def routing_rule_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=pk)
    action = request.POST.get("action")
    if action == "delete":
        configuration.routing_rule_delete(rule=rule)
        messages.success(request, _("Rule deleted."))
    elif action in ("up", "down"):
        configuration.routing_rule_move(rule=rule, up=action == "up")
    return redirect("routing")


def _week_initial(branch: Branch) -> dict[str, str]:
    spans: dict[int, list[str]] = {}
    for interval in branch.hours.all():
        spans.setdefault(interval.weekday, []).append(
            f"{interval.opens:%H:%M}-{interval.closes:%H:%M}"
        )
    return {f"day_{d}": ", ".join(spans.get(d, [])) for d in range(7)}


@panel_view(admin=True)
def branch_hours_view(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_object_or_404(Branch, pk=pk)
    week_form = WeekHoursForm(initial=_week_initial(branch), prefix="week")
    exception_form = HoursExceptionForm(prefix="exc")
    if request.method == "POST" and request.POST.get("form") == "exception":
        exception_form = HoursExceptionForm(request.POST, prefix="exc")
        if exception_form.is_valid():
            data = exception_form.cleaned_data
            hours = data["hours"]
            configuration.business_hours_exception_set(
                branch=branch,
                day=data["date"],
                closed=hours is None,
                opens=hours[0] if hours else None,
                closes=hours[1] if hours else None,
                note=data["note"],
            )
            messages.success(request, _("Saved."))
            return redirect("branch-hours", pk=branch.pk)
    elif request.method == "POST" and request.POST.get("form") == "delete-exception":
        exception_id = request.POST.get("exception")
        if exception_id is not None:
            branch.hours_exceptions.filter(pk=exception_id).delete()
        return redirect("branch-hours", pk=branch.pk)
    elif request.method == "POST":
        week_form = WeekHoursForm(request.POST, prefix="week")
        if week_form.is_valid():
            try:
                configuration.business_hours_replace(
                    branch=branch, intervals=week_form.cleaned_data["intervals"]
                )
            except ValidationError as exc:
                week_form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _("Business hours saved."))
                return redirect("branch-hours", pk=branch.pk)
    return render(
        request,
        "inboxes/branch_hours.html",
        {
            "branch": branch,
            "week_form": week_form,
            "exception_form": exception_form,
            "exceptions": branch.hours_exceptions.all(),
            "weekdays": WEEKDAYS,
            "section": "branches",
        },
    )
