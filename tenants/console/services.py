"""Console actions by platform staff; each one writes an audit record in the same transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messenger.realtime import company_sockets_end
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.console.models import ConsoleAuditRecord


def audit_record(
    *,
    actor: User,
    action: str,
    company: Company | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    **detail: object,
) -> ConsoleAuditRecord:
    return ConsoleAuditRecord.objects.create(
        actor=actor,
        actor_email=actor.email,
        action=action,
        company=company,
        detail=detail,
        ip_address=ip_address,
        user_agent=(user_agent or "")[:300],
    )


@transaction.atomic
def company_suspend(
    *,
    company: Company,
    reason: str,
    actor: User,
    ip_address: str | None = None,
    user_agent: str = "",
) -> Company:
    """Suspend a company: its panel and widget API answer with a clear message, and its open
    sockets (operators' and visitors') are closed once this commits."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for the suspension."))
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.is_suspended:
        raise ValidationError(_("The company is already suspended."))
    company.status = Company.Status.SUSPENDED
    company.suspended_at = timezone.now()
    company.suspended_reason = reason[:300]
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    audit_record(
        actor=actor,
        action="company.suspended",
        company=company,
        ip_address=ip_address,
        user_agent=user_agent,
        reason=reason,
    )
    company_sockets_end(company.schema_name, reason="company_suspended")
    return company


@transaction.atomic
def company_reactivate(
    *, company: Company, actor: User, ip_address: str | None = None, user_agent: str = ""
) -> Company:
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not company.is_suspended:
        raise ValidationError(_("The company is not suspended."))
    company.status = Company.Status.ACTIVE
    company.suspended_at = None
    company.suspended_reason = ""
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    audit_record(
        actor=actor,
        action="company.reactivated",
        company=company,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return company
