"""Template tags of the panel: plan features for the navigation, the trial/payment banner and
the seats notice on the team forms."""

from __future__ import annotations

from typing import Any

from django import template

from billing import entitlements
from billing.banner import banner_for
from billing.limits import seat_usage
from billing.services import subscription_of

register = template.Library()


@register.simple_tag(takes_context=True)
def company_has(context: template.Context, feature: str) -> bool:
    return entitlements.company_has(context.get("company"), feature)


@register.inclusion_tag("billing/_banner.html", takes_context=True)
def billing_banner(context: template.Context) -> dict[str, Any]:
    company, user = context.get("company"), context.get("user")
    banner = banner_for(company) if company is not None and user is not None else None
    return {"banner": banner, "user": user}


@register.inclusion_tag("billing/_seats.html", takes_context=True)
def seats_notice(context: template.Context) -> dict[str, Any]:
    """Seats used of paid, with the way to add seats for admins when all are taken."""
    company, user = context.get("company"), context.get("user")
    if company is None or user is None or not user.is_authenticated:
        return {"usage": None}
    return {"usage": seat_usage(subscription_of(company)), "user": user}
