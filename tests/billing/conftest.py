"""Billing fixtures: a real localstripe server on a free port, and the company's subscription
put in a given state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import stripe

from billing.models import Subscription
from tests.billing.localstripe import localstripe_run

WEBHOOK_SECRET = "whsec_test_billing"


@dataclass
class LocalStripe:
    api_base: str


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    """localstripe (a stateful Stripe-compatible server) for the whole run."""
    with localstripe_run() as api_base:
        yield LocalStripe(api_base=api_base)


@pytest.fixture
def stripe_configured(localstripe_server: LocalStripe, settings) -> Iterator[LocalStripe]:  # type: ignore[no-untyped-def]
    """Billing configured against localstripe (keys as in production, another API base)."""
    before = stripe.api_base
    settings.STRIPE_SECRET_KEY = "sk_test_billing"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server.api_base
    try:
        yield localstripe_server
    finally:
        stripe.api_base = before


def subscription_put(company, **fields) -> Subscription:  # type: ignore[no-untyped-def]
    """Change the company's subscription row (and forget the copy cached on the instance)."""
    Subscription.objects.filter(company=company).update(**fields)
    company.refresh_from_db()
    if hasattr(company, "_state"):
        company._state.fields_cache.pop("subscription", None)
    return Subscription.objects.get(company=company)
