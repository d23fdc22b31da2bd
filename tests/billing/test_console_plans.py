"""Plans are edited as data in the platform console, and a change applies at once."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.entitlements import company_has
from billing.models import Plan
from tests.billing.conftest import subscription_put
from tests.factories import staff_login

pytestmark = pytest.mark.django_db


def test_staff_change_a_plans_features_limits_and_prices_in_the_console(acme, staff):
    client = staff_login(Client(HTTP_HOST="localhost"), staff)
    trial = Plan.objects.get(is_trial=True)
    subscription_put(acme.company, plan=trial)
    assert "Trial" in client.get("/console/plans/").content.decode()
    page = client.get(f"/console/plans/{trial.pk}/")
    assert page.status_code == 200
    form = {
        "name": "Trial",
        "is_trial": "on",
        "trial_days": "30",
        "features": ["supervision"],
        "max_seats": "4",
        "max_inboxes": "2",
        "max_conversations_per_month": "",
        "file_size_mb": "10",
        "sort_order": "0",
        "prices-TOTAL_FORMS": "1",
        "prices-INITIAL_FORMS": "0",
        "prices-0-currency": "usd",
        "prices-0-interval": "month",
        "prices-0-amount_minor": "500",
        "prices-0-provider_price_id": "price_trial_usd",
        "prices-0-is_active": "on",
    }
    assert client.post(f"/console/plans/{trial.pk}/", form).status_code == 302
    trial.refresh_from_db()
    assert (trial.trial_days, trial.max_inboxes, trial.features) == (30, 2, ["supervision"])
    assert trial.prices.get().provider_price_id == "price_trial_usd"
    acme.company.refresh_from_db()
    assert not company_has(acme.company, "analytics")


def test_company_admins_cannot_open_the_plans(acme):
    assert acme.login().get("/console/plans/").status_code == 404
