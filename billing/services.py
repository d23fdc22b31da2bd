"""Billing services: the trial a new company starts on, and every change of a subscription's
state (trialing → active / past_due → read_only after the grace; canceled). Nothing is ever
deleted for non-payment: the states only decide what may be changed (billing.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from billing.changes import change_record, snapshot
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
    subscription = Subscription.objects.create(
        company=company,
        plan=plan,
        seats=plan.max_seats or 1,
        trial_ends_at=timezone.now() + timedelta(days=plan.trial_days),
    )
    change_record(subscription, None)
    return subscription


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
    before = snapshot(subscription)
    subscription.plan, subscription.seats, subscription.price = plan, seats, price
    _status_set(subscription, Status.ACTIVE)
    subscription.trial_ends_at = None
    subscription.save()
    change_record(subscription, before)
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
    before = snapshot(subscription)
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
    change_record(subscription, before)
    company.subscription = subscription
    return subscription


@transaction.atomic
def subscription_customer_set(*, company: Company, provider: str, customer_id: str) -> None:
    subscription = subscription_locked(company)
    subscription.provider, subscription.provider_customer_id = provider, customer_id
    subscription.save(update_fields=["provider", "provider_customer_id", "updated_at"])


def subscriptions_advance(now: datetime | None = None) -> dict[str, int]:
    """Move subscriptions on with the clock: a trial that ended unpaid becomes past_due; past_due
    past its grace becomes read_only. Run by the beat task; returns how many moved. Each move
    is recorded (billing.changes), so a lapse shows as churn on the console's business page."""
    now = now or timezone.now()
    ended = Subscription.objects.filter(
        status=Status.TRIALING, trial_ends_at__lte=now, provider_subscription_id=""
    )
    lapsed = Subscription.objects.filter(
        status=Status.PAST_DUE, past_due_since__lte=now - timedelta(days=GRACE_DAYS)
    )
    moved = {"past_due": 0, "read_only": 0}
    for key, due, status in (("past_due", ended, Status.PAST_DUE), ("read_only", lapsed, None)):
        for pk in list(due.values_list("pk", flat=True)):
            with transaction.atomic():
                subscription = due.select_for_update(of=("self",)).filter(pk=pk).first()
                if subscription is None:  # moved by someone else meanwhile
                    continue
                before = snapshot(subscription)
                if status == Status.PAST_DUE:
                    subscription.past_due_since = now
                subscription.status = status or Status.READ_ONLY
                subscription.save(update_fields=["status", "past_due_since", "updated_at"])
                change_record(subscription, before)
                moved[key] += 1
    return moved


@transaction.atomic
def subscription_trial_extend(*, company: Company, days: int) -> Subscription:
    """Give a company `days` more of trial (staff): from the later of its end and now; a trial
    that had lapsed unpaid (past due or read-only, no provider) is a trial again."""
    if days < 1:
        raise ValueError("days must be positive")
    subscription = subscription_locked(company)
    before = snapshot(subscription)
    lapsed = subscription.status in (Status.PAST_DUE, Status.READ_ONLY)
    if subscription.status != Status.TRIALING and not (
        lapsed and subscription.plan.is_trial and not subscription.provider_subscription_id
    ):
        raise ValueError("not on a trial")
    now = timezone.now()
    subscription.trial_ends_at = max(subscription.trial_ends_at or now, now) + timedelta(days=days)
    _status_set(subscription, Status.TRIALING, now)
    subscription.trial_notice_sent = []
    subscription.save()
    change_record(subscription, before)
    company.subscription = subscription
    return subscription


@transaction.atomic
def subscription_free_seats_add(*, company: Company, seats: int) -> Subscription:
    """Give a company `seats` seats on top of the paid ones (staff); they are not revenue."""
    if seats < 1:
        raise ValueError("seats must be positive")
    subscription = subscription_locked(company)
    subscription.free_seats += seats
    subscription.save(update_fields=["free_seats", "updated_at"])
    company.subscription = subscription
    return subscription
