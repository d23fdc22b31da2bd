"""Companies for console and billing metrics tests: public-schema rows only (no schema is
made, so dozens are cheap), each with a subscription in the given state."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from billing.models import Plan, PlanPrice, Subscription
from tenants.companies.models import Company

_numbers = itertools.count(1)


def plan_with_prices(code: str = "pro", *, month: int = 1000, year: int = 10000) -> Plan:
    """A paid plan priced per seat: `month` and `year` in minor units, in USD and RUB."""
    plan, _ = Plan.objects.get_or_create(code=code, defaults={"name": code.title()})
    for currency in ("usd", "rub"):
        for interval, amount in (("month", month), ("year", year)):
            PlanPrice.objects.update_or_create(
                plan=plan,
                currency=currency,
                interval=interval,
                defaults={"amount_minor": amount},
            )
    return plan


def price_of(plan: Plan, currency: str = "usd", interval: str = "month") -> PlanPrice:
    return PlanPrice.objects.get(plan=plan, currency=currency, interval=interval)


def company_row(name: str = "", *, users: int = 1, **subscription: object) -> Company:
    """A company row without a schema, with a subscription (a trial unless told otherwise)."""
    n = next(_numbers)
    slug = f"mx{n}-{timezone.now().strftime('%H%M%S%f')}"
    company = Company(
        name=name or f"Company {n}",
        slug=slug,
        schema_name=f"co_{slug.replace('-', '_')}",
        owner_email=f"owner-{slug}@example.com",
        user_count=users,
    )
    company.auto_create_schema = False
    company.save()
    trial = Plan.objects.filter(is_trial=True).first() or plan_with_prices("trial")
    fields: dict[str, object] = {
        "plan": trial,
        "seats": 10,
        "trial_ends_at": timezone.now() + timedelta(days=14),
        **subscription,
    }
    Subscription.objects.create(company=company, **fields)
    return company
