"""What the billing page's Subscribe sends to Stripe: the request itself, as Stripe's client puts
it on the wire, recorded in front of a real localstripe (which has no Checkout, so it answers
404 and the admin is told nothing was charged)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from billing.models import PlanPrice, Subscription
from messenger.tenancy import company_url
from tests.billing.conftest import WEBHOOK_SECRET, LocalStripe
from tests.billing.localstripe import StripeRecorder, recorder_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded_stripe(localstripe_server: LocalStripe, settings) -> Iterator[StripeRecorder]:  # type: ignore[no-untyped-def]
    """Billing configured with the recorder as Stripe's API base."""
    before = stripe.api_base
    with recorder_run(StripeRecorder(upstream=localstripe_server.api_base)) as recorder:
        settings.STRIPE_SECRET_KEY = "sk_test_billing"
        settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.STRIPE_API_BASE = recorder.url
        try:
            yield recorder
        finally:
            stripe.api_base = before


def test_subscribe_asks_stripe_for_a_checkout_of_the_plan_price_with_seats_as_quantity(
    acme, recorded_stripe
):
    price = PlanPrice.objects.get(plan__code="start", currency="usd", interval="month")
    price.provider_price_id = "price_start_usd_month"
    price.save(update_fields=["provider_price_id"])
    company = acme.company

    response = acme.login().post("/billing/checkout/", {"price": price.pk, "seats": 7}, follow=True)

    assert "The payment service did not answer" in response.content.decode()  # localstripe's 404
    [checkout] = recorded_stripe.checkouts()
    customer = Subscription.objects.get(company=company).provider_customer_id
    assert customer.startswith("cus_")  # created in localstripe first, once
    billing = company_url(company, "/billing/")  # the company's own host
    assert checkout.form == {
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": str(company.pk),
        "line_items[0][price]": "price_start_usd_month",
        "line_items[0][quantity]": "7",
        "subscription_data[metadata][company_id]": str(company.pk),
        "metadata[company_id]": str(company.pk),
        "success_url": billing + "?paid=1",
        "cancel_url": billing,
    }
    [created] = [r for r in recorded_stripe.requests if r.path == "/v1/customers"]
    assert created.form["metadata[company_id]"] == str(company.pk)
    assert Subscription.objects.get(company=company).status == "trialing"


def test_a_second_subscribe_reuses_the_stripe_customer(acme, recorded_stripe):
    price = PlanPrice.objects.get(plan__code="pro", currency="usd", interval="year")
    price.provider_price_id = "price_pro_usd_year"
    price.save(update_fields=["provider_price_id"])
    client = acme.login()
    for seats in (3, 4):
        client.post("/billing/checkout/", {"price": price.pk, "seats": seats})
    first, second = recorded_stripe.checkouts()
    assert first.form["customer"] == second.form["customer"]
    assert [first.form["line_items[0][quantity]"], second.form["line_items[0][quantity]"]] == [
        "3",
        "4",
    ]
    assert len([r for r in recorded_stripe.requests if r.path == "/v1/customers"]) == 1
