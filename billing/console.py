"""Plans in the platform console: staff edit the catalogue (limits, features, per-seat prices)
as data; a change applies to every company on the plan at its next request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.forms import inlineformset_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.entitlements import FEATURE_NAMES
from billing.models import Plan, PlanPrice
from tenants.accounts.permissions import staff_view


class PlanForm(forms.ModelForm):
    features = forms.MultipleChoiceField(
        label=gettext_lazy("Features"),
        choices=list(FEATURE_NAMES.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Plan
        fields = [
            "name",
            "is_public",
            "is_trial",
            "trial_days",
            "features",
            "max_seats",
            "max_inboxes",
            "max_conversations_per_month",
            "file_size_mb",
            "sort_order",
        ]
        labels = {
            "is_public": gettext_lazy("Offered on the billing page"),
            "is_trial": gettext_lazy("New companies start on it"),
            "trial_days": gettext_lazy("Trial days"),
            "max_seats": gettext_lazy("Seats at most (empty: no limit)"),
            "max_inboxes": gettext_lazy("Inboxes at most (empty: no limit)"),
            "max_conversations_per_month": gettext_lazy("Conversations a month (empty: no limit)"),
            "file_size_mb": gettext_lazy("Largest file, MB"),
            "sort_order": gettext_lazy("Order"),
        }


PRICE_LABELS: dict[str, Any] = {  # lazy texts: translated when the form renders
    "amount_minor": gettext_lazy("Per seat, in kopecks or cents"),
    "provider_price_id": gettext_lazy("Stripe Price id"),
    "is_active": gettext_lazy("Offered"),
}
PriceFormSet = inlineformset_factory(
    Plan,
    PlanPrice,
    fields=["currency", "interval", "amount_minor", "provider_price_id", "is_active"],
    labels=PRICE_LABELS,
    extra=1,
    can_delete=False,
)


@staff_view
def plan_list_view(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.prefetch_related("prices")
    return render(request, "billing/console_plans.html", {"plans": plans})


@staff_view
def plan_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan, pk=pk)
    form = PlanForm(request.POST or None, instance=plan)
    prices = PriceFormSet(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid() and prices.is_valid():
        with transaction.atomic():
            form.save()
            prices.save()
        messages.success(request, _("The plan is saved."))
        return redirect("console-plans")
    return render(
        request, "billing/console_plan_edit.html", {"plan": plan, "form": form, "prices": prices}
    )
