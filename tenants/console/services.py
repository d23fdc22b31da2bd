"""Console actions by platform staff; each one needs a reason and writes an audit record (who,
what, why, when, from where) in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Plan, PlanPrice
from billing.services import (
    subscription_free_seats_add,
    subscription_of,
    subscription_set_paid,
    subscription_trial_extend,
)
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


@dataclass(frozen=True)
class StaffAct:
    """Who acts, why, and from where: every console action carries one and is audited by it."""

    actor: User
    reason: str
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request: HttpRequest, actor: User) -> StaffAct:
        """The act a console request asks for: its reason field and where it came from."""
        return cls(
            actor=actor,
            reason=request.POST.get("reason", ""),
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )

    def checked(self) -> StaffAct:
        """This act with its reason trimmed; ValidationError when there is none."""
        return replace(self, reason=reason_required(self.reason))

    def record(self, action: str, company: Company, **detail: object) -> ConsoleAuditRecord:
        return audit_record(
            actor=self.actor,
            action=action,
            company=company,
            ip_address=self.ip_address,
            user_agent=self.user_agent,
            reason=self.reason,
            **detail,
        )


def reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for this action."), code="reason")
    return reason[:500]


@transaction.atomic
def company_suspend(*, company: Company, by: StaffAct) -> Company:
    """Suspend a company: its panel and widget API answer with a clear message, and its open
    sockets (operators' and visitors') are closed once this commits."""
    by = by.checked()
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.is_suspended:
        raise ValidationError(_("The company is already suspended."))
    company.status = Company.Status.SUSPENDED
    company.suspended_at = timezone.now()
    company.suspended_reason = by.reason[:300]
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    by.record("company.suspended", company)
    company_sockets_end(company.schema_name, reason="company_suspended")
    return company


@transaction.atomic
def company_reactivate(*, company: Company, by: StaffAct) -> Company:
    by = by.checked()
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not company.is_suspended:
        raise ValidationError(_("The company is not suspended."))
    company.status = Company.Status.ACTIVE
    company.suspended_at = None
    company.suspended_reason = ""
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    by.record("company.reactivated", company)
    return company


@transaction.atomic
def company_plan_set(
    *, company: Company, plan: Plan, seats: int, price: PlanPrice | None, by: StaffAct
) -> None:
    """Put the company on a paid plan by hand (active, no provider), audited."""
    by = by.checked()
    if seats < 1 or (plan.max_seats is not None and seats > plan.max_seats):
        raise ValidationError(_("Enter a number of seats the plan allows."), code="seats")
    if price is not None and price.plan_id != plan.pk:
        raise ValidationError(_("Choose a price of the chosen plan."), code="price")
    before = subscription_of(company)
    was = {"plan": before.plan.code, "seats": before.seats, "status": before.status}
    subscription_set_paid(company=company, plan=plan, seats=seats, price=price)
    by.record(
        "company.plan_changed",
        company,
        before=was,
        plan=plan.code,
        seats=seats,
        price=price.pk if price else None,
    )


@transaction.atomic
def company_trial_extend(*, company: Company, days: int, by: StaffAct) -> None:
    by = by.checked()
    if not 1 <= days <= 365:
        raise ValidationError(_("Enter between 1 and 365 days."), code="days")
    try:
        subscription = subscription_trial_extend(company=company, days=days)
    except ValueError as exc:
        raise ValidationError(_("The company is not on a trial."), code="not_trial") from exc
    ends = subscription.trial_ends_at
    by.record(
        "company.trial_extended", company, days=days, trial_ends_at=ends.isoformat() if ends else ""
    )


@transaction.atomic
def company_free_seats_add(*, company: Company, seats: int, by: StaffAct) -> None:
    by = by.checked()
    if not 1 <= seats <= 1000:
        raise ValidationError(_("Enter between 1 and 1000 seats."), code="seats")
    subscription = subscription_free_seats_add(company=company, seats=seats)
    by.record("company.free_seats_added", company, seats=seats, free_seats=subscription.free_seats)
