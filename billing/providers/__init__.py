"""The configured payment provider, or None when billing is not configured (development)."""

from __future__ import annotations

from django.conf import settings

from billing.providers.base import BillingProvider


def provider_get() -> BillingProvider | None:
    if settings.STRIPE_SECRET_KEY:
        from billing.providers.stripe import StripeProvider

        return StripeProvider(
            secret_key=settings.STRIPE_SECRET_KEY,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            api_base=settings.STRIPE_API_BASE,
        )
    return None
