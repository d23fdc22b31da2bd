"""Stripe through the provider interface, against a real localstripe server: webhooks verified
on the raw body, each event handled once, out-of-order and repeated events ending in Stripe's
current state, invoices on the billing page, and the page without keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from typing import Any

import pytest
import stripe

from billing.models import PlanPrice, Subscription, WebhookEvent
from billing.providers import provider_get
from tests.billing.conftest import WEBHOOK_SECRET, subscription_put

pytestmark = pytest.mark.django_db

WEBHOOK = "/billing/webhooks/stripe/"
STATE_FIELDS = (
    "status",
    "seats",
    "plan_id",
    "price_id",
    "provider",
    "provider_customer_id",
    "provider_subscription_id",
    "current_period_end",
    "past_due_since",
    "canceled_at",
)


def _signature(payload: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """Stripe's documented scheme: HMAC-SHA256 of "<timestamp>.<raw body>"."""
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


def _deliver(client, event: dict[str, Any], secret: str = WEBHOOK_SECRET):  # type: ignore[no-untyped-def]
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signature(payload, secret),
    )


def _recorded(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    """An event as Stripe sends it, for what localstripe does not record."""
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": type_,
        "created": int(time.time()),
        "data": {"object": obj},
    }


def _state(company) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row = Subscription.objects.get(company=company)
    return {f: getattr(row, f) for f in STATE_FIELDS}


def _subscribed_in_stripe(  # type: ignore[no-untyped-def]
    company, seats_then: int, seats_now: int, card: str = "4242424242424242"
) -> list[dict[str, Any]]:
    """What Checkout leaves in Stripe: a customer paying for the Pro plan (localstripe speaks
    Plans, not Prices: the plan's id stands for the Price id), then a change of seats. Returns
    the events Stripe recorded about it, with the checkout.session.completed event (localstripe
    has no Checkout) as Stripe sends it."""
    provider_get()  # points the stripe module at localstripe
    price = PlanPrice.objects.get(plan__code="pro", currency="usd", interval="month")
    price.provider_price_id = f"pro-usd-month-{uuid.uuid4().hex[:8]}"
    price.save(update_fields=["provider_price_id"])
    stripe.Plan.create(
        id=price.provider_price_id,
        amount=price.amount_minor,
        currency="usd",
        interval="month",
        product={"name": "Pro"},
    )
    meta = {"company_id": str(company.pk)}
    customer = stripe.Customer.create(email="owner@example.com", metadata=meta)
    method = stripe.PaymentMethod.create(
        type="card",
        card={"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
    )
    stripe.PaymentMethod.attach(method.id, customer=customer.id)
    stripe.Customer.modify(customer.id, invoice_settings={"default_payment_method": method.id})
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"plan": price.provider_price_id, "quantity": seats_then}],
        metadata=meta,
    )
    item = sub.to_dict()["items"]["data"][0]["id"]
    if seats_now != seats_then:
        stripe.Subscription.modify(sub.id, items=[{"id": item, "quantity": seats_now}])
    events = [
        e.to_dict()
        for e in stripe.Event.list(limit=100).auto_paging_iter()
        if customer.id
        in (e.data.object.to_dict().get("customer"), e.data.object.to_dict().get("id"))
    ]
    events.sort(key=lambda e: e["created"])
    checkout = _recorded(
        "checkout.session.completed",
        {
            "id": f"cs_test_{uuid.uuid4().hex}",
            "object": "checkout.session",
            "mode": "subscription",
            "client_reference_id": str(company.pk),
            "customer": customer.id,
            "subscription": sub.id,
            "metadata": meta,
        },
    )
    return [checkout, *events]


def test_events_out_of_order_and_twice_end_as_in_order_once(acme, base_client, stripe_configured):
    events = _subscribed_in_stripe(acme.company, seats_then=3, seats_now=5)
    assert {"checkout.session.completed", "customer.subscription.created"} <= {
        e["type"] for e in events
    }
    trial = _state(acme.company)
    for event in events:
        assert _deliver(base_client, event).status_code == 200
    in_order_once = _state(acme.company)
    assert (in_order_once["status"], in_order_once["seats"]) == ("active", 5)
    assert Subscription.objects.get(company=acme.company).plan.code == "pro"
    # the same events again, on a company as it was before them: reversed, then shuffled
    WebhookEvent.objects.filter(event_id__in=[e["id"] for e in events]).delete()
    subscription_put(acme.company, **trial)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    for event in [*reversed(events), *shuffled]:
        assert _deliver(base_client, event).status_code == 200
    assert _state(acme.company) == in_order_once
    assert WebhookEvent.objects.filter(event_id__in=[e["id"] for e in events]).count() == len(
        events
    )


def test_a_replayed_event_changes_nothing(acme, base_client, stripe_configured):
    events = _subscribed_in_stripe(acme.company, seats_then=2, seats_now=2)
    for event in events:
        _deliver(base_client, event)
    subscription_put(acme.company, seats=9)  # as if changed since
    again = _deliver(base_client, events[0])
    assert again.content == b"replayed"
    assert Subscription.objects.get(company=acme.company).seats == 9


def test_a_bad_signature_is_a_400_and_changes_nothing(acme, base_client, stripe_configured):
    events = _subscribed_in_stripe(acme.company, seats_then=4, seats_now=4)
    before = _state(acme.company)
    assert _deliver(base_client, events[0], secret="whsec_wrong").status_code == 400
    payload = json.dumps(events[0]).encode()
    tampered = base_client.post(
        WEBHOOK,
        data=payload.replace(b'"mode"', b'"mode" ', 1),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signature(payload),
    )
    assert tampered.status_code == 400
    assert (
        base_client.post(WEBHOOK, data=payload, content_type="application/json").status_code == 400
    )
    assert _state(acme.company) == before
    assert not WebhookEvent.objects.filter(event_id=events[0]["id"]).exists()


def test_a_checkout_completed_for_a_deleted_company_is_logged_not_a_crash(
    acme, base_client, stripe_configured
):
    [checkout, *_] = _subscribed_in_stripe(acme.company, seats_then=1, seats_now=1)
    checkout["data"]["object"]["client_reference_id"] = "987654321"
    checkout["data"]["object"]["metadata"] = {"company_id": "987654321"}
    response = _deliver(base_client, checkout)
    assert (response.status_code, response.content) == (200, b"no company")
    assert Subscription.objects.get(company=acme.company).status == "trialing"


def test_a_subscription_deleted_in_stripe_makes_the_account_canceled_and_read_only(
    acme, base_client, stripe_configured
):
    events = _subscribed_in_stripe(acme.company, seats_then=2, seats_now=2)
    for event in events:
        _deliver(base_client, event)
    sub_id = Subscription.objects.get(company=acme.company).provider_subscription_id
    stripe.Subscription.cancel(sub_id)
    deleted = next(
        e.to_dict()
        for e in stripe.Event.list(limit=100).auto_paging_iter()
        if e.type == "customer.subscription.deleted" and e.data.object.id == sub_id
    )
    assert _deliver(base_client, deleted).status_code == 200
    subscription = Subscription.objects.get(company=acme.company)
    assert subscription.status == "canceled" and not subscription.can_write


def test_the_billing_page_lists_invoices_from_stripe(acme, base_client, stripe_configured):
    for event in _subscribed_in_stripe(acme.company, seats_then=3, seats_now=3):
        _deliver(base_client, event)
    page = acme.login().get("/billing/").content.decode()
    assert "72 USD" in page  # 3 seats of Pro at 24 USD
    assert 'id="billing-manage"' in page
    assert "Pro" in page
    # a live subscription changes in the portal, never through a second Checkout
    assert 'id="billing-subscribed"' in page and "/billing/checkout/" not in page


def test_a_failed_payment_makes_the_subscription_past_due_with_a_banner(
    acme, base_client, stripe_configured
):
    events = _subscribed_in_stripe(acme.company, 2, 2, card="4000000000000341")
    created = next(e for e in events if e["type"] == "customer.subscription.created")
    sub = created["data"]["object"]
    # localstripe declines the card but records no invoice.payment_failed: Stripe's is recorded
    failed = _recorded(
        "invoice.payment_failed",
        {
            "id": f"in_{uuid.uuid4().hex[:14]}",
            "object": "invoice",
            "customer": sub["customer"],
            "parent": {"subscription_details": {"subscription": sub["id"]}},
        },
    )
    for event in [*events, failed]:
        assert _deliver(base_client, event).status_code == 200
    subscription = Subscription.objects.get(company=acme.company)
    assert subscription.status == "past_due" and subscription.can_write
    assert "Payment is due" in acme.login().get("/dialogs/").content.decode()


def test_checkout_refused_by_the_payment_service_charges_nothing(acme, stripe_configured):
    # localstripe has no Checkout: the request fails as a Stripe outage would
    price = PlanPrice.objects.get(plan__code="pro", currency="rub", interval="month")
    price.provider_price_id = "price_pro_rub_month"
    price.save(update_fields=["provider_price_id"])
    client = acme.login()
    response = client.post("/billing/checkout/", {"price": price.pk, "seats": 5}, follow=True)
    assert "The payment service did not answer" in response.content.decode()
    assert Subscription.objects.get(company=acme.company).status == "trialing"


def test_checkout_for_fewer_seats_than_taken_is_refused(acme, stripe_configured):
    price = PlanPrice.objects.get(plan__code="pro", currency="rub", interval="month")
    response = acme.login().post("/billing/checkout/", {"price": price.pk, "seats": 1}, follow=True)
    assert "at least 3 seats" in response.content.decode()


def test_without_stripe_keys_the_billing_page_says_billing_is_not_configured(acme, settings):
    settings.STRIPE_SECRET_KEY = ""
    subscription_put(acme.company, seats=10)
    response = acme.login().get("/billing/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="billing-not-configured"' in page
    assert "Trial" in page and "3 of 10 used" in page
    assert "Analytics, Supervision, API access" in page  # the fixture plan has every feature
    assert 'id="nav-billing"' in page


def test_only_admins_open_the_billing_page(acme):
    from tests.conftest import OPERATOR_EMAIL

    assert acme.login(OPERATOR_EMAIL).get("/billing/").status_code == 403
