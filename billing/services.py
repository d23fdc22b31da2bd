"""Billing services: the trial a new company starts on, and every change of a subscription's
state (trialing → active / past_due → read_only after the grace; canceled). Nothing is ever
deleted for non-payment: the states only decide what may be changed (billing.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from billing.models import GRACE_DAYS, Plan, PlanPrice, Subscription
from tenants.companies.models import Company

TRIAL_PLAN_CODE = "trial"
Status = Subscription.Status


def trial_plan() -> Plan:
    """The plan new companies start on (data: `Plan.is_trial`)."""
    plan = Plan.objects.filter(is_trial=True).order_by("sort_order", "pk").first()
    if plan is None:  # a database whose catalogue was emptied by hand
        plan, _ = Plan.objects.get_or_create(
            code=TRIAL_PLAN_CODE, defaults={"name": "Trial", "is_trial": True, "max_seats": 10}
        )
    return plan


def subscription_start_trial(*, company: Company) -> Subscription:
    """Put a new company on the trial plan for its number of days."""
    plan = trial_plan()
    return Subscription.objects.create(
        company=company,
        plan=plan,
        seats=plan.max_seats or 1,
        trial_ends_at=timezone.now() + timedelta(days=plan.trial_days),
    )


def subscription_of(company: Company) -> Subscription:
    """The company's subscription (a trial is started for a company that has none)."""
    try:
        existing: Subscription = company.subscription
        return existing
    except Subscription.DoesNotExist:
        with transaction.atomic():
            locked = Company.objects.select_for_update().get(pk=company.pk)
            subscription = Subscription.objects.filter(company=locked).first()
            subscription = subscription or subscription_start_trial(company=locked)
            company.subscription = subscription
        return subscription


def subscription_locked(company: Company) -> Subscription:
    """The company's subscription row, locked until the end of the transaction: seat and inbox
    checks hold it so two invitations at once cannot both take the last seat."""
    subscription_of(company)
    return Subscription.objects.select_for_update().select_related("plan").get(company=company)


@transaction.atomic
def subscription_set_paid(
    *, company: Company, plan: Plan, seats: int, price: PlanPrice | None = None
) -> Subscription:
    """Put a company on a paid plan by hand (staff, the demo company): active, no provider."""
    subscription = subscription_locked(company)
    subscription.plan, subscription.seats, subscription.price = plan, seats, price
    _status_set(subscription, Status.ACTIVE)
    subscription.trial_ends_at = None
    subscription.save()
    company.subscription = subscription
    return subscription


@dataclass(frozen=True)
class ProviderState:
    """What the payment provider says a subscription is now (billing/providers/base.py)."""

    subscription_id: str
    customer_id: str
    status: str  # one of Subscription.Status
    seats: int
    provider_price_id: str
    current_period_end: datetime | None
    trial_ends_at: datetime | None


def _status_set(subscription: Subscription, status: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if status == Status.PAST_DUE:
        subscription.past_due_since = subscription.past_due_since or now
        if subscription.grace_ends_at and subscription.grace_ends_at <= now:
            status = Status.READ_ONLY
    elif status in (Status.ACTIVE, Status.TRIALING):
        subscription.past_due_since = None
    if status == Status.CANCELED:
        subscription.canceled_at = subscription.canceled_at or now
    else:
        subscription.canceled_at = None
    subscription.status = status


@transaction.atomic
def subscription_sync(*, company: Company, provider: str, state: ProviderState) -> Subscription:
    """Make the stored subscription what the provider says it is now. Idempotent: the same state
    twice, or states read in any order, leave the row as the latest read did."""
    subscription = subscription_locked(company)
    price = (
        PlanPrice.objects.select_related("plan")
        .filter(provider_price_id=state.provider_price_id)
        .first()
        if state.provider_price_id
        else None
    )
    if price is not None:
        subscription.price, subscription.plan = price, price.plan
    subscription.provider = provider
    subscription.provider_customer_id = state.customer_id
    subscription.provider_subscription_id = state.subscription_id
    subscription.seats = max(1, state.seats)
    subscription.current_period_end = state.current_period_end
    if state.status == Status.TRIALING:
        subscription.trial_ends_at = state.trial_ends_at
    _status_set(subscription, state.status)
    subscription.save()
    company.subscription = subscription
    return subscription


@transaction.atomic
def subscription_customer_set(*, company: Company, provider: str, customer_id: str) -> None:
    subscription = subscription_locked(company)
    subscription.provider, subscription.provider_customer_id = provider, customer_id
    subscription.save(update_fields=["provider", "provider_customer_id", "updated_at"])


def subscriptions_advance(now: datetime | None = None) -> dict[str, int]:
    """Move subscriptions on with the clock: a trial that ended unpaid becomes past_due; past_due
    past its grace becomes read_only. Run by the beat task; returns how many moved."""
    now = now or timezone.now()
    ended = Subscription.objects.filter(
        status=Status.TRIALING, trial_ends_at__lte=now, provider_subscription_id=""
    ).update(status=Status.PAST_DUE, past_due_since=now, updated_at=now)
    locked = Subscription.objects.filter(
        status=Status.PAST_DUE, past_due_since__lte=now - timedelta(days=GRACE_DAYS)
    ).update(status=Status.READ_ONLY, updated_at=now)
    return {"past_due": ended, "read_only": locked}
