"""Staff actions on a company (plan, trial, free seats, suspension): each needs a reason, and
each is audited with the staff member, the reason and the time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import Subscription
from tenants.console.models import ConsoleAuditRecord
from tests.factories import staff_login
from tests.factories.billing import company_row, plan_with_prices, price_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")
    staff_login(client, staff)
    return client


def _sub(company) -> Subscription:  # type: ignore[no-untyped-def]
    return Subscription.objects.get(company=company)


def test_changing_the_plan_is_audited_with_staff_reason_and_time(client, staff):
    pro = plan_with_prices("pro", month=1000, year=12000)
    company = company_row()
    before = timezone.now()
    client.post(
        f"/console/companies/{company.pk}/plan/",
        {"price": price_of(pro, "rub").pk, "seats": "4", "reason": "Signed contract #12"},
    )
    sub = _sub(company)
    assert (sub.plan, sub.seats, sub.status, sub.price.currency) == (pro, 4, "active", "rub")
    record = ConsoleAuditRecord.objects.get(company=company, action="company.plan_changed")
    assert (record.actor, record.actor_email) == (staff, staff.email)
    assert record.detail["reason"] == "Signed contract #12" and record.created_at >= before
    assert record.detail["before"]["status"] == "trialing" and record.ip_address == "203.0.113.9"


def test_extending_a_trial_moves_its_end_and_revives_a_lapsed_one(client):
    company = company_row(status="past_due", trial_ends_at=timezone.now() - timedelta(days=2))
    client.post(f"/console/companies/{company.pk}/trial/", {"days": "10", "reason": "Demo"})
    sub = _sub(company)
    assert sub.status == "trialing" and sub.past_due_since is None
    assert timedelta(days=9) < sub.trial_ends_at - timezone.now() <= timedelta(days=10)
    record = ConsoleAuditRecord.objects.get(company=company, action="company.trial_extended")
    assert (record.detail["days"], record.detail["reason"]) == (10, "Demo")


def test_free_seats_are_added_on_top_of_paid_ones(client):
    company = company_row(seats=3)
    client.post(f"/console/companies/{company.pk}/seats/", {"seats": "2", "reason": "Partner"})
    assert (_sub(company).seats, _sub(company).free_seats) == (3, 2)
    record = ConsoleAuditRecord.objects.get(company=company, action="company.free_seats_added")
    assert record.detail == {"reason": "Partner", "seats": 2, "free_seats": 2}


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("plan", {"seats": "4"}),
        ("trial", {"days": "10"}),
        ("seats", {"seats": "2"}),
        ("status", {"action": "suspend"}),
    ],
)
def test_every_action_is_refused_without_a_reason_and_changes_nothing(client, path, data):
    pro = plan_with_prices("pro")
    company = company_row(seats=3)
    if path == "plan":
        data = {**data, "price": str(price_of(pro).pk)}
    response = client.post(
        f"/console/companies/{company.pk}/{path}/", {**data, "reason": "  "}, follow=True
    )
    assert "Give a reason for this action." in response.content.decode()
    sub = _sub(company)
    assert (sub.status, sub.seats, sub.free_seats) == ("trialing", 3, 0)
    assert not ConsoleAuditRecord.objects.filter(company=company).exists()


def test_reactivation_needs_a_reason_too(client):
    company = company_row()
    client.post(f"/console/companies/{company.pk}/status/", {"action": "suspend", "reason": "x"})
    client.post(f"/console/companies/{company.pk}/status/", {"action": "reactivate"})
    company.refresh_from_db()
    assert company.is_suspended
    assert not ConsoleAuditRecord.objects.filter(action="company.reactivated").exists()


def test_actions_are_for_staff_only(staff):
    from tenants.accounts.models import User

    company = company_row(seats=3)
    user = User.objects.create_user("plain-actions@platform.test", "x-long-password-1")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    response = client.post(
        f"/console/companies/{company.pk}/seats/", {"seats": "5", "reason": "please"}
    )
    assert response.status_code == 403 and _sub(company).free_seats == 0
