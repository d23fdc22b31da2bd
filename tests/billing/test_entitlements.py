"""One entitlement check for every feature: the analytics page, its navigation link and the
supervision API answer from the company's plan."""

from __future__ import annotations

import pytest

from billing.entitlements import company_has
from billing.models import Plan
from tests.billing.conftest import subscription_put

pytestmark = pytest.mark.django_db


def test_the_trial_includes_analytics_and_the_link_is_in_the_navigation(acme):
    subscription_put(acme.company, plan=Plan.objects.get(is_trial=True))
    assert company_has(acme.company, "analytics")
    client = acme.login()
    assert client.get("/analytics/").status_code == 200
    assert 'href="/analytics/"' in client.get("/dialogs/").content.decode()


def test_a_plan_without_analytics_answers_403_naming_the_plan_and_hides_the_link(acme):
    subscription_put(acme.company, plan=Plan.objects.get(code="start"), status="active")
    client = acme.login()
    response = client.get("/analytics/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Analytics is not included in your plan (Start)" in page
    assert 'href="/billing/"' in page  # the admin is shown the way to change the plan
    assert 'href="/analytics/"' not in client.get("/dialogs/").content.decode()


def test_the_403_is_in_russian_for_a_russian_speaking_admin(acme):
    subscription_put(acme.company, plan=Plan.objects.get(code="start"), status="active")
    client = acme.login()
    client.cookies["django_language"] = "ru"
    page = client.get("/analytics/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "не входит в ваш тариф (Start)" in page


def test_the_supervision_api_explains_the_plan_in_a_403(acme):
    subscription_put(acme.company, plan=Plan.objects.get(code="start"), status="active")
    response = acme.login().post("/api/v1/conversations/1/end-visitor-sessions")
    assert response.status_code == 403
    assert "Supervision is not included in your plan (Start)" in response.json()["detail"]
