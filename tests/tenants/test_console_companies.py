"""The console's companies list: business columns computed right, sorted and filtered on the
server, in a bounded number of queries; staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Subscription
from tenants.companies.models import Company
from tenants.console import selectors
from tenants.console.models import CompanyMonthUsage
from tests.factories import staff_login
from tests.factories.billing import company_row, plan_with_prices, price_of

pytestmark = pytest.mark.django_db
ACTIVE, PAST_DUE = Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE


def staff_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost")
    staff_login(client, staff)
    return client


@pytest.fixture
def book(db):  # type: ignore[no-untyped-def]
    """Four companies: monthly USD, yearly USD past due, monthly RUB suspended, a trial."""
    pro = plan_with_prices("pro", month=1000, year=12000)
    monthly = company_row(
        "Monthly", users=3, plan=pro, price=price_of(pro), seats=5, status=ACTIVE, free_seats=2
    )
    yearly = company_row(
        "Yearly", users=7, plan=pro, price=price_of(pro, "usd", "year"), seats=7, status=PAST_DUE
    )
    rub = company_row("Rouble", plan=pro, price=price_of(pro, "rub"), seats=2, status=ACTIVE)
    Company.objects.filter(pk=rub.pk).update(status=Company.Status.SUSPENDED)
    trial = company_row("Trialling", users=2)
    CompanyMonthUsage.objects.create(
        company=trial, month=selectors.month_start().date(), conversations=40
    )
    CompanyMonthUsage.objects.create(  # last month's does not count
        company=monthly,
        month=(selectors.month_start() - timedelta(days=1)).date().replace(day=1),
        conversations=99,
    )
    return {"monthly": monthly, "yearly": yearly, "rub": rub, "trial": trial}


def _rows(**filters: object) -> dict[str, Company]:
    mine = selectors.company_search(selectors.CompanyFilters(**filters)).filter(  # type: ignore[arg-type]
        name__in=["Monthly", "Yearly", "Rouble", "Trialling"]
    )
    return {c.name: c for c in mine}


def test_each_company_shows_state_seats_mrr_and_conversations_this_month(book):
    rows = _rows()
    monthly, yearly, rub, trial = (rows[n] for n in ("Monthly", "Yearly", "Rouble", "Trialling"))
    assert (monthly.state, monthly.user_count, monthly.seats_paid) == ("active", 3, 7)
    assert (monthly.mrr_minor, monthly.currency) == (5000, "usd")  # 10.00 × 5 seats
    assert (yearly.state, yearly.mrr_minor) == ("past_due", 7000)  # 120.00 × 7 / 12
    assert (rub.state, rub.mrr_minor, rub.currency) == ("suspended", 2000, "rub")
    assert (trial.state, trial.mrr_minor, trial.currency) == ("trial", 0, "")
    assert (trial.conversations_month, monthly.conversations_month) == (40, 0)


def test_mrr_totals_are_per_currency(book):
    companies = selectors.company_search().filter(pk__in=[c.pk for c in book.values()])
    assert selectors.mrr_totals(companies) == {"usd": 12000, "rub": 2000}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "past_due"}, {"Yearly"}),
        ({"state": "suspended"}, {"Rouble"}),
        ({"state": "trial"}, {"Trialling"}),
        ({"currency": "rub"}, {"Rouble"}),
        ({"plan": "pro"}, {"Monthly", "Yearly", "Rouble"}),
        ({"mrr_min": 60}, {"Yearly"}),
        ({"seats_full": True}, {"Yearly"}),
        ({"conversations_min": 1}, {"Trialling"}),
        ({"trial_ends_within": 30}, {"Trialling"}),
        ({"query": "roub"}, {"Rouble"}),
    ],
)
def test_filters_narrow_the_list_on_the_server(book, filters, expected):
    assert set(_rows(**filters)) == expected


def test_inactive_filter_finds_companies_without_recent_activity(book):
    now = timezone.now()
    Company.objects.filter(pk=book["monthly"].pk).update(last_activity_at=now)
    Company.objects.filter(pk=book["yearly"].pk).update(last_activity_at=now - timedelta(days=40))
    assert "Yearly" in _rows(inactive_days=30) and "Monthly" not in _rows(inactive_days=30)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-mrr", ["Yearly", "Monthly", "Rouble", "Trialling"]),
        ("seats", ["Rouble", "Trialling", "Monthly", "Yearly"]),
        ("-conversations", ["Trialling"]),
        ("name", ["Monthly", "Rouble", "Trialling", "Yearly"]),
    ],
)
def test_sorting_is_done_by_the_database(book, sort, order):
    names = [
        c.name
        for c in selectors.company_search(sort=sort).filter(pk__in=[c.pk for c in book.values()])
    ]
    assert names[: len(order)] == order


def test_the_list_page_costs_the_same_queries_for_few_or_many_companies(book, staff):
    client = staff_client(staff)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/console/", {"sort": "-mrr"}).status_code == 200
    pro = plan_with_prices("pro", month=1000, year=12000)
    for _ in range(15):
        company_row(plan=pro, price=price_of(pro), seats=2, status=ACTIVE)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/console/", {"sort": "-mrr"}).content.decode()
    assert len(many) == len(few) <= 12
    assert "Yearly" in page and "70.00 USD" in page


def test_the_list_renders_columns_sort_links_and_totals(book, staff):
    page = staff_client(staff).get("/console/", {"state": "past_due", "sort": "name"})
    html = page.content.decode()
    assert 'data-state="past_due"' in html and ">Monthly<" not in html
    assert "state=past_due&amp;sort=-mrr" in html  # a header keeps the filters


def test_only_staff_reach_the_companies_list(book, acme):
    from tenants.accounts.models import User

    user = User.objects.create_user("plain-list@platform.test", "x-long-password-1")
    client = Client(HTTP_HOST="localhost")
    assert client.get("/console/").status_code == 302  # to the login
    client.force_login(user)
    assert client.get("/console/").status_code == 403
    assert acme.login().get("/console/").status_code == 404
