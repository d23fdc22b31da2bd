"""The history of subscription changes and the monthly recurring revenue (MRR) each one moved.

`billing.services` takes a `snapshot` before it changes a subscription and calls
`change_record` after saving it; a row is written only when the plan, seats, price or status
changed. MRR counts paid, still-billed subscriptions (active or past due) as price per seat ×
seats, a yearly price divided by 12, in the price's currency and minor units."""

from __future__ import annotations

from dataclasses import dataclass

from billing.models import PlanPrice, Subscription, SubscriptionChange

BILLED_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)


def mrr_minor(*, amount_minor: int, seats: int, interval: str) -> int:
    """A price per seat for `seats` seats, normalised to a month (a yearly price / 12)."""
    total = amount_minor * seats
    return (total + 6) // 12 if interval == PlanPrice.Interval.YEAR else total  # rounded


@dataclass(frozen=True)
class Snapshot:
    plan_code: str
    price_id: int | None
    seats: int
    status: str
    currency: str
    mrr: int


def snapshot(subscription: Subscription) -> Snapshot:
    price = subscription.price
    billed = price is not None and subscription.status in BILLED_STATUSES
    return Snapshot(
        plan_code=subscription.plan.code,
        price_id=price.pk if price else None,
        seats=subscription.seats,
        status=subscription.status,
        currency=price.currency if price else "",
        mrr=mrr_minor(
            amount_minor=price.amount_minor, seats=subscription.seats, interval=price.interval
        )
        if billed and price is not None
        else 0,
    )


def _kind(before: int, after: int) -> str:
    Kind = SubscriptionChange.Kind
    if before == after:
        return Kind.OTHER
    if before == 0:
        return Kind.NEW
    if after == 0:
        return Kind.CHURN
    return Kind.EXPANSION if after > before else Kind.CONTRACTION


def change_record(subscription: Subscription, before: Snapshot | None) -> SubscriptionChange | None:
    """Write the change from `before` (None: the subscription is new) to the saved row."""
    after = snapshot(subscription)
    if before is not None and (
        before.plan_code,
        before.price_id,
        before.seats,
        before.status,
    ) == (after.plan_code, after.price_id, after.seats, after.status):
        return None
    mrr_before = before.mrr if before else 0
    return SubscriptionChange.objects.create(
        company_id=subscription.company_id,
        kind=_kind(mrr_before, after.mrr),
        status_before=before.status if before else "",
        status_after=after.status,
        plan_code=after.plan_code,
        seats=after.seats,
        currency=after.currency or (before.currency if before else ""),
        mrr_before_minor=mrr_before,
        mrr_after_minor=after.mrr,
    )
