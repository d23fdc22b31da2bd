"""Plans are data; seats (active people and open invitations) and inboxes are limited by
the subscription, refused with a clear reason before anything is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_tenants.utils import schema_context

from billing.models import Plan, PlanPrice, Subscription
from billing.services import subscription_of, subscription_start_trial
from inboxes.models import Inbox
from inboxes.services import inbox_create
from tenants.accounts.models import User
from tenants.organization import invitations
from tenants.organization import services as org
from tenants.organization.models import Invitation
from tests.billing.conftest import subscription_put
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_seeded_catalogue_prices_each_paid_plan_per_seat_in_rub_and_usd_monthly_and_yearly():
    for code in ("start", "pro"):
        prices = {(p.currency, p.interval) for p in PlanPrice.objects.filter(plan__code=code)}
        assert prices == {("rub", "month"), ("rub", "year"), ("usd", "month"), ("usd", "year")}
    trial = Plan.objects.get(is_trial=True)
    assert trial.trial_days == 14
    assert set(trial.features) == {"analytics", "supervision", "api_access"}
    assert "analytics" not in Plan.objects.get(code="start").features


def test_a_new_company_starts_a_14_day_trial_with_the_trial_plans_seats(acme):
    Subscription.objects.filter(company=acme.company).delete()
    subscription = subscription_start_trial(company=acme.company)
    trial = Plan.objects.get(is_trial=True)
    assert (subscription.status, subscription.plan, subscription.seats) == (
        "trialing",
        trial,
        trial.max_seats,
    )
    left = subscription.trial_ends_at - subscription.started_at
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)


def _fill_seats(world) -> int:  # type: ignore[no-untyped-def]
    """Make the paid seats exactly the seats taken; returns that number."""
    with schema_context(world.company.schema_name):
        used = User.objects.filter(is_active=True).count() + sum(
            1 for i in Invitation.objects.all() if i.is_pending
        )
    subscription_put(world.company, seats=used)
    return used


def test_inviting_over_the_paid_seats_is_refused_with_a_link_to_billing_and_nothing_is_sent(
    acme, mailoutbox
):
    paid = _fill_seats(acme)
    client = acme.login()
    response = client.post(
        "/settings/team/invite/", {"email": "extra@example.com", "role": "operator"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"All {paid} paid seats are taken" in page
    assert 'href="/billing/"' in page and 'id="seats-add"' in page
    with schema_context(acme.company.schema_name):
        assert not Invitation.objects.filter(email="extra@example.com").exists()
    assert mailoutbox == []


def test_the_seat_refusal_is_in_russian_for_a_russian_admin(acme):
    _fill_seats(acme)
    with (
        schema_context(acme.company.schema_name),
        translation.override("ru"),
        pytest.raises(ValidationError) as caught,
    ):
        org.operator_create(
            email="ru@example.com", full_name="Ру", password=PASSWORD, role="operator"
        )
    assert "оплаченные места заняты" in caught.value.messages[0]


def test_creating_or_reactivating_someone_over_the_seats_is_refused(acme):
    _fill_seats(acme)
    with schema_context(acme.company.schema_name):
        with pytest.raises(ValidationError, match="paid seats are taken"):
            org.operator_create(
                email="more@example.com", full_name="More", password=PASSWORD, role="supervisor"
            )
        assert not User.objects.filter(email="more@example.com").exists()
        operator = User.objects.get(role="operator")
        admin = User.objects.get(role="admin")
        org.operator_deactivate(user=operator, actor=admin)  # frees a seat
        org.operator_create(
            email="more@example.com", full_name="More", password=PASSWORD, role="operator"
        )
        with pytest.raises(ValidationError, match="paid seats are taken"):
            org.operator_reactivate(user=operator)
        operator.refresh_from_db()
        assert not operator.is_active


def test_accepting_an_invitation_takes_the_seat_it_already_holds(acme):
    _fill_seats(acme)  # the fixture's pending invitation is one of the seats
    with schema_context(acme.company.schema_name):
        invitation = Invitation.objects.get(email="invited@example.com")
        invitation.token_hash = invitations._token_hash("tok")
        invitation.save(update_fields=["token_hash"])
        user = invitations.invitation_accept(token="tok", full_name="Ivy", password=PASSWORD)
        assert user.is_active


def test_a_new_inbox_over_the_plans_limit_is_refused(acme):
    with schema_context(acme.company.schema_name):
        count = Inbox.objects.filter(archived_at=None).count()
    Plan.objects.filter(pk=subscription_of(acme.company).plan_id).update(max_inboxes=count)
    with schema_context(acme.company.schema_name):
        with pytest.raises(ValidationError, match=f"includes {count} inboxes"):
            inbox_create(name="One more")
        assert Inbox.objects.filter(archived_at=None).count() == count


def test_every_role_takes_a_seat(acme):
    paid = _fill_seats(acme)
    subscription_put(acme.company, seats=paid + 1)
    with schema_context(acme.company.schema_name):
        org.operator_create(email="a2@example.com", full_name="A2", password=PASSWORD, role="admin")
        with pytest.raises(ValidationError):
            org.operator_create(
                email="s2@example.com", full_name="S2", password=PASSWORD, role="supervisor"
            )


def test_the_demo_company_is_on_a_paid_plan_even_when_seeded_before_plans_were_data(db):
    from inboxes.demo import DEMO_SLUG, demo_seed
    from tenants.companies.models import Company

    demo_seed()
    demo = Company.objects.get(slug=DEMO_SLUG)
    subscription = subscription_of(demo)
    assert (subscription.plan.code, subscription.status, subscription.seats) == (
        "pro",
        "active",
        10,
    )
    subscription_put(demo, plan=Plan.objects.get(is_trial=True), status="trialing")
    demo_seed()
    assert subscription_of(Company.objects.get(slug=DEMO_SLUG)).plan.code == "pro"
