"""Stripe: Checkout for subscribing (seats are the quantity), the Customer Portal for changes,
invoices, signed webhooks, and the subscription re-read from Stripe on every event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe

from billing.models import PlanPrice, Subscription
from billing.providers.base import (
    BillingProvider,
    Invoice,
    ProviderError,
    ProviderEvent,
    WebhookInvalid,
)
from billing.services import ProviderState

Status = Subscription.Status
# Stripe's subscription statuses → ours (the grace before read-only is counted by billing).
STATUSES = {
    "trialing": Status.TRIALING,
    "active": Status.ACTIVE,
    "past_due": Status.PAST_DUE,
    "unpaid": Status.PAST_DUE,
    "incomplete": Status.PAST_DUE,
    "paused": Status.READ_ONLY,
    "canceled": Status.CANCELED,
    "incomplete_expired": Status.CANCELED,
}


def _when(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def _company_id(obj: Mapping[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("company_id") or obj.get("client_reference_id")
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None


def _subscription_id(obj: Mapping[str, Any]) -> str:
    if obj.get("object") == "subscription":
        return str(obj.get("id") or "")
    sub = obj.get("subscription")
    if not sub:  # invoices since the 2025 API versions
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        sub = details.get("subscription")
    if isinstance(sub, Mapping):
        sub = sub.get("id")
    return str(sub or "")


class StripeProvider(BillingProvider):
    name = "stripe"

    def __init__(self, *, secret_key: str, webhook_secret: str, api_base: str = "") -> None:
        self.webhook_secret = webhook_secret
        stripe.api_key = secret_key
        if api_base:
            stripe.api_base = api_base

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return fn(*args, **kwargs).to_dict()
        except stripe.StripeError as exc:
            raise ProviderError(str(exc)) from exc

    def _customer(self, subscription: Subscription, email: str) -> str:
        if subscription.provider_customer_id:
            return subscription.provider_customer_id
        from billing.services import subscription_customer_set

        company = subscription.company
        customer = self._call(
            stripe.Customer.create,
            email=email,
            name=company.name,
            metadata={"company_id": str(company.pk), "slug": company.slug},
        )
        subscription_customer_set(company=company, provider=self.name, customer_id=customer["id"])
        return str(customer["id"])

    def checkout_url(
        self,
        *,
        subscription: Subscription,
        price: PlanPrice,
        seats: int,
        email: str,
        success_url: str,
        cancel_url: str,
    ) -> str:
        company_id = str(subscription.company_id)
        session = self._call(
            stripe.checkout.Session.create,
            mode="subscription",
            customer=self._customer(subscription, email),
            client_reference_id=company_id,
            line_items=[{"price": price.provider_price_id, "quantity": seats}],
            subscription_data={"metadata": {"company_id": company_id}},
            metadata={"company_id": company_id},
            success_url=success_url,
            cancel_url=cancel_url,
        )
        return str(session["url"])

    def portal_url(self, *, subscription: Subscription, return_url: str) -> str:
        if not subscription.provider_customer_id:
            raise ProviderError("no customer yet")
        session = self._call(
            stripe.billing_portal.Session.create,
            customer=subscription.provider_customer_id,
            return_url=return_url,
        )
        return str(session["url"])

    def invoices(self, *, subscription: Subscription, limit: int = 24) -> list[Invoice]:
        if not subscription.provider_customer_id:
            return []
        found = self._call(
            stripe.Invoice.list, customer=subscription.provider_customer_id, limit=limit
        )
        return [
            Invoice(
                number=str(i.get("number") or i["id"]),
                created=_when(i.get("created")) or datetime.now(UTC),
                total_minor=int(i.get("total") or 0),
                currency=str(i.get("currency") or ""),
                status=str(i.get("status") or ""),
                pdf_url=str(i.get("invoice_pdf") or ""),
                page_url=str(i.get("hosted_invoice_url") or ""),
            )
            for i in sorted(found["data"], key=lambda i: i.get("created") or 0, reverse=True)
        ]

    def event_verify(self, *, payload: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signature = headers.get("Stripe-Signature", "")
        if not self.webhook_secret or not signature:
            raise WebhookInvalid("no signature or no secret")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self.webhook_secret, tolerance=300
            )
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            raise WebhookInvalid(str(exc)) from exc
        obj = (event.get("data") or {}).get("object") or {}
        if not event.get("id") or not event.get("type") or not isinstance(obj, dict):
            raise WebhookInvalid("not an event")
        return ProviderEvent(
            id=str(event["id"]),
            type=str(event["type"]),
            company_id=_company_id(obj),
            customer_id=str(
                obj.get("id") if obj.get("object") == "customer" else obj.get("customer") or ""
            ),
            subscription_id=_subscription_id(obj),
        )

    def subscription_state(self, subscription_id: str) -> ProviderState:
        sub = self._call(stripe.Subscription.retrieve, subscription_id)
        item = (sub.get("items") or {}).get("data", [{}])[0]
        price = item.get("price") or item.get("plan") or {}
        return ProviderState(
            subscription_id=str(sub["id"]),
            customer_id=str(sub.get("customer") or ""),
            status=STATUSES.get(str(sub.get("status")), Status.PAST_DUE),
            seats=int(item.get("quantity") or sub.get("quantity") or 1),
            provider_price_id=str(price.get("id") or ""),
            current_period_end=_when(
                item.get("current_period_end") or sub.get("current_period_end")
            ),
            trial_ends_at=_when(sub.get("trial_end")),
        )
