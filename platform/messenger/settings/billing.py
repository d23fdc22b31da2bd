"""Billing: the payment provider (Stripe today, see docs/billing.md). Without a secret key the
panel's billing page says billing is not configured and nothing is charged."""

from .env import env

STRIPE_SECRET_KEY: str = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET: str = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Another Stripe-compatible server (tests: localstripe); empty is Stripe itself.
STRIPE_API_BASE: str = env.str("STRIPE_API_BASE", default="")
# The currency offered first on the billing page ("rub" or "usd").
BILLING_CURRENCY: str = env.str("BILLING_CURRENCY", default="rub")
