"""Provider webhooks: verified on the raw body, each event id handled once, and the subscription
re-read from the provider rather than taken from the event, so late, repeated or reordered
events all end in the provider's current state."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from django.db import IntegrityError, transaction
from django.db.models import Q

from billing.models import Subscription, WebhookEvent
from billing.providers.base import BillingProvider, ProviderEvent
from billing.services import subscription_sync
from tenants.companies.models import Company

logger = structlog.get_logger(__name__)

# Every event about a subscription's state; all are handled the same way (a re-read).
HANDLED = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
}


def _company_for(event: ProviderEvent) -> Company | None:
    if event.company_id is not None:
        return Company.objects.filter(pk=event.company_id).first()
    mine = Q()
    if event.subscription_id:
        mine |= Q(provider_subscription_id=event.subscription_id)
    if event.customer_id:
        mine |= Q(provider_customer_id=event.customer_id)
    if not mine:
        return None
    found = Subscription.objects.filter(mine).select_related("company").first()
    return found.company if found else None


def webhook_handle(*, provider: BillingProvider, payload: bytes, headers: Mapping[str, str]) -> str:
    """Handle one webhook; returns what was done. Raises WebhookInvalid (→ 400, nothing stored)
    or ProviderError (→ 5xx, nothing stored, so the provider sends it again)."""
    event = provider.event_verify(payload=payload, headers=headers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookEvent.objects.create(
                    provider=provider.name, event_id=event.id, type=event.type
                )
        except IntegrityError:
            return "replayed"
        if event.type not in HANDLED:
            return "ignored"
        company = _company_for(event)
        if company is None:
            logger.warning(
                "billing.webhook.no_company",
                event_id=event.id,
                type=event.type,
                company_id=event.company_id,
            )
            return "no company"
        if not event.subscription_id:
            return "no subscription"
        state = provider.subscription_state(event.subscription_id)
        current = Subscription.objects.filter(company=company).first()
        if (
            current is not None
            and current.provider_subscription_id not in ("", event.subscription_id)
            and state.status == Subscription.Status.CANCELED
        ):
            return "old subscription"  # the company has since subscribed again
        subscription_sync(company=company, provider=provider.name, state=state)
    logger.info("billing.webhook.synced", event_id=event.id, type=event.type, company=company.pk)
    return "synced"
