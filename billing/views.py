"""The panel's billing page (admins) with Checkout and Portal redirects, and the provider's
webhook endpoint on the base host. Thin: the work is in billing services and the provider."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.entitlements import FEATURE_NAMES
from billing.limits import seat_usage
from billing.models import Plan, PlanPrice, Subscription
from billing.providers import provider_get
from billing.providers.base import BillingProvider, ProviderError, WebhookInvalid
from billing.services import subscription_of
from billing.webhooks import webhook_handle
from messenger.tenancy import company_url
from tenants.accounts.permissions import AuthenticatedRequest, panel_view

logger = structlog.get_logger(__name__)


def _to_provider(
    request: AuthenticatedRequest, call: str, url_for: Callable[[BillingProvider], str]
) -> HttpResponse:
    """Redirect to a page of the provider; back to billing, saying so, when it fails."""
    provider = provider_get()
    if provider is None:
        return redirect("billing")
    try:
        return redirect(url_for(provider))
    except ProviderError as exc:
        logger.warning("billing.provider_failed", call=call, error=str(exc))
        messages.error(
            request,
            _("The payment service did not answer. Nothing was charged; try again later."),
        )
        return redirect("billing")


def _subscribed(subscription: Subscription) -> bool:
    """Whether the provider holds a live subscription (a second Checkout would double it)."""
    return bool(subscription.provider_subscription_id) and (
        subscription.status != Subscription.Status.CANCELED
    )


@panel_view(admin=True)
def billing_view(request: AuthenticatedRequest) -> HttpResponse:
    subscription = subscription_of(request.tenant)
    provider = provider_get()
    currency = request.GET.get("currency") or settings.BILLING_CURRENCY
    plans = (
        Plan.objects.filter(is_public=True)
        .annotate(priced=Count("prices", filter=Q(prices__is_active=True)))
        .filter(priced__gt=0)
        .prefetch_related("prices")
    )
    offers = [
        (plan, [p for p in plan.prices.all() if p.is_active and p.currency == currency])
        for plan in plans
    ]
    invoices, invoices_failed = [], False
    if provider is not None:
        try:
            invoices = provider.invoices(subscription=subscription)
        except ProviderError:
            invoices_failed = True
    return render(
        request,
        "billing/billing.html",
        {
            "section": "billing",
            "subscription": subscription,
            "usage": seat_usage(subscription),
            "configured": provider is not None,
            "subscribed": _subscribed(subscription),
            "features": [
                name for code, name in FEATURE_NAMES.items() if subscription.plan.includes(code)
            ],
            "offers": offers,
            "currency": currency,
            "currencies": PlanPrice.Currency.choices,
            "invoices": invoices,
            "invoices_failed": invoices_failed,
        },
    )


@require_POST
@panel_view(admin=True)
def checkout_view(request: AuthenticatedRequest) -> HttpResponse:
    if _subscribed(subscription_of(request.tenant)):
        return portal_view(request)  # seats and plan of a live subscription change there
    price = (
        PlanPrice.objects.select_related("plan")
        .filter(pk=request.POST.get("price") or 0, is_active=True, plan__is_public=True)
        .first()
    )
    subscription = subscription_of(request.tenant)
    least = max(1, seat_usage(subscription).used)
    most = price.plan.max_seats if price is not None else None
    try:
        seats = int(request.POST.get("seats") or 0)
    except ValueError:
        seats = 0
    if price is None or not price.provider_price_id or seats < least or (most and seats > most):
        messages.error(
            request,
            _("Choose a plan and at least %(used)d seats (people and open invitations).")
            % {"used": least},
        )
        return redirect("billing")
    back = company_url(request.tenant, reverse("billing"))
    return _to_provider(
        request,
        "checkout",
        lambda provider: provider.checkout_url(
            subscription=subscription,
            price=price,
            seats=seats,
            email=request.user.email,
            success_url=back + "?paid=1",
            cancel_url=back,
        ),
    )


@require_POST
@panel_view(admin=True)
def portal_view(request: AuthenticatedRequest) -> HttpResponse:
    return _to_provider(
        request,
        "portal",
        lambda provider: provider.portal_url(
            subscription=subscription_of(request.tenant),
            return_url=company_url(request.tenant, reverse("billing")),
        ),
    )


@csrf_exempt
@require_POST
def stripe_webhook_view(request: HttpRequest) -> HttpResponse:
    """Stripe's events (base host). 400 when the signature does not verify; 503 when Stripe
    could not be read back, so Stripe retries the event."""
    provider = provider_get()
    if provider is None:
        return HttpResponse("billing is not configured", status=404)
    try:
        outcome = webhook_handle(provider=provider, payload=request.body, headers=request.headers)
    except WebhookInvalid:
        return HttpResponseBadRequest("invalid signature")
    except ProviderError as exc:
        logger.warning("billing.webhook.provider_failed", error=str(exc))
        return HttpResponse("provider unavailable", status=503)
    return HttpResponse(outcome)
