"""Billing services: the subscription a new company starts on."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from billing.models import Plan, Subscription
from tenants.companies.models import Company

TRIAL_PLAN_CODE = "trial"
TRIAL_DAYS = 14


def subscription_start_trial(*, company: Company) -> Subscription:
    """Put a new company on the trial plan."""
    plan, _ = Plan.objects.get_or_create(
        code=TRIAL_PLAN_CODE, defaults={"name": "Trial", "max_operators": 10}
    )
    return Subscription.objects.create(
        company=company,
        plan=plan,
        trial_ends_at=timezone.now() + timedelta(days=TRIAL_DAYS),
    )
