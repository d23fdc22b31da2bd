"""Billing records every subscription change with the MRR it moved; the console's business
page turns that history into MRR by month, its movement, and trials converting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from billing.models import SubscriptionChange
from billing.services import (
    subscription_free_seats_add,
    subscription_set_paid,
    subscriptions_advance,
)
from tenants.console import metrics
from tests.factories import staff_login
from tests.factories.billing import company_row, plan_with_prices, price_of

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


def at(when: datetime) -> None:
    """Date the latest change as if it happened `when`."""
    latest = SubscriptionChange.objects.latest("pk")
    SubscriptionChange.objects.filter(pk=latest.pk).update(created_at=when)


def month(rows: list[metrics.MonthRow], year: int, number: int) -> metrics.MonthRow:
    return next(r for r in rows if (r.month.year, r.month.month) == (year, number))


@pytest.fixture
def history(db):  # type: ignore[no-untyped-def]
    """A scripted year: A pays in March, grows in April, shrinks in May, lapses in June;
    B pays yearly in April; C's trial ends unpaid in May."""
    pro = plan_with_prices("pro", month=1000, year=12000)
    a, b, c = company_row("A"), company_row("B"), company_row("C")
    SubscriptionChange.objects.update(created_at=datetime(2026, 2, 1, tzinfo=UTC))
    subscription_set_paid(company=a, plan=pro, seats=3, price=price_of(pro))
    at(datetime(2026, 3, 5, tzinfo=UTC))  # new +30.00
    subscription_set_paid(company=a, plan=pro, seats=5, price=price_of(pro))
    at(datetime(2026, 4, 5, tzinfo=UTC))  # expansion +20.00
    subscription_set_paid(company=b, plan=pro, seats=2, price=price_of(pro, "usd", "year"))
    at(datetime(2026, 4, 20, tzinfo=UTC))  # new +20.00 (240.00 a year)
    subscription_set_paid(company=a, plan=pro, seats=4, price=price_of(pro))
    at(datetime(2026, 5, 2, tzinfo=UTC))  # contraction -10.00
    c.subscription.trial_ends_at = datetime(2026, 5, 1, tzinfo=UTC)
    c.subscription.save()
    subscriptions_advance(now=datetime(2026, 5, 3, tzinfo=UTC))
    at(datetime(2026, 5, 3, tzinfo=UTC))  # trial ended, not converted
    a.subscription.status, a.subscription.past_due_since = "past_due", NOW - timedelta(days=30)
    a.subscription.save()
    subscriptions_advance(now=NOW)
    at(datetime(2026, 6, 10, tzinfo=UTC))  # a lapses to read-only: churn -40.00
    return {"a": a, "b": b, "c": c}


def test_mrr_movement_by_month_follows_the_scripted_history(history):
    rows = metrics.mrr_by_month(months=6, now=NOW)["usd"]
    march, april, may, june = (month(rows, 2026, n) for n in (3, 4, 5, 6))
    assert (march.moves["new"], march.mrr) == (3000, 3000)
    assert (april.moves["expansion"], april.moves["new"], april.mrr) == (2000, 2000, 7000)
    assert (may.moves["contraction"], may.mrr) == (-1000, 6000)
    assert (june.moves["churn"], june.mrr) == (-4000, 2000)
    assert month(rows, 2026, 1).mrr == 0


def test_trials_converting_per_month(history):
    b_started = SubscriptionChange.objects.get(company=history["b"], status_before="trialing")
    assert b_started.status_after == "active"
    rows = {r.month.month: r for r in metrics.trials_by_month(months=6, now=NOW)}
    assert (rows[3].ended, rows[3].converted) == (1, 1)  # A
    assert (rows[4].ended, rows[4].converted) == (1, 1)  # B
    assert (rows[5].ended, rows[5].converted, rows[5].rate) == (1, 0, 0.0)  # C lapsed


def test_a_change_that_moves_nothing_writes_no_row_and_free_seats_are_not_revenue(db):
    pro = plan_with_prices("pro", month=1000, year=12000)
    company = company_row()
    subscription_set_paid(company=company, plan=pro, seats=3, price=price_of(pro))
    count = SubscriptionChange.objects.filter(company=company).count()
    subscription_set_paid(company=company, plan=pro, seats=3, price=price_of(pro))
    subscription_free_seats_add(company=company, seats=5)
    assert SubscriptionChange.objects.filter(company=company).count() == count


def test_the_business_page_draws_the_chart_and_tables_for_staff_only(history, staff):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/console/business/").status_code == 302
    staff_login(client, staff)
    html = client.get("/console/business/").content.decode()
    assert 'id="mrr-usd"' in html and "<svg" in html and 'class="bar"' in html
    assert 'id="trials"' in html and 'id="past-due"' in html
