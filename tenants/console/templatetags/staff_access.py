"""Template tags of staff access: the panel's banner while a visit lasts, the company's access
log (its admins' Company settings page) and the console's role check."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from tenants.console.impersonation import access_log
from tenants.console.roles import staff_has_role

register = template.Library()


@register.inclusion_tag("console/_staff_access_banner.html", takes_context=True)
def staff_access_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    return {"access": getattr(request, "staff_access", None), "request": request}


@register.inclusion_tag("console/_staff_access_log.html", takes_context=True)
def staff_access_log(context: dict[str, Any]) -> dict[str, Any]:
    company = context.get("company")
    rows = list(access_log(company)) if company is not None else []
    return {"rows": rows, "now": timezone.now()}


@register.simple_tag(takes_context=True)
def staff_can(context: dict[str, Any], *roles: str) -> bool:
    request = context.get("request")
    return request is not None and staff_has_role(request.user, *roles)
