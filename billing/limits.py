"""Plan limits checked before something is added: seats (active people plus pending
invitations) and inboxes. Each check runs inside the caller's transaction and locks the
subscription row, so two requests at once cannot both take the last seat; a refusal is a
ValidationError raised before anything is written.

Called from the company's schema (its request or task selected it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Subscription
from billing.services import subscription_locked, subscription_of
from messenger.schema import current_schema
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.organization.models import Invitation


def _current_company() -> Company:
    return Company.objects.get(schema_name=current_schema())


def _subscription_for_check(company: Company) -> Subscription:
    if connection.in_atomic_block:
        return subscription_locked(company)
    return subscription_of(company)


def read_only_error() -> ValidationError:
    return ValidationError(
        _(
            "Your subscription is unpaid, so the account is read-only: chats keep arriving and "
            "can be answered, but people, inboxes and settings cannot change until payment."
        ),
        code="read_only",
    )


@dataclass(frozen=True)
class SeatUsage:
    active: int  # active admins, supervisors and operators
    pending: int  # invitations not yet accepted, revoked or expired
    paid: int

    @property
    def used(self) -> int:
        return self.active + self.pending

    @property
    def full(self) -> bool:
        return self.used >= self.paid


def seat_usage(subscription: Subscription, *, except_invitation_to: str = "") -> SeatUsage:
    """Seats taken in the current schema: every active person (whatever their role) and every
    pending invitation, as against the subscription's paid seats."""
    pending = Invitation.objects.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
    if except_invitation_to:
        pending = pending.exclude(email=except_invitation_to)
    return SeatUsage(
        active=User.objects.filter(is_active=True).count(),
        pending=pending.count(),
        paid=subscription.seats + subscription.free_seats,
    )


def seat_ensure_free(*, invitation_to: str = "") -> None:
    """Refuse to add a person (create, invite, accept an invitation, reactivate) when every paid
    seat is taken or the account is read-only. `invitation_to`: the address whose pending
    invitation this replaces or turns into a person (it already holds its seat)."""
    subscription = _subscription_for_check(_current_company())
    if not subscription.can_write:
        raise read_only_error()
    usage = seat_usage(subscription, except_invitation_to=(invitation_to or "").strip().lower())
    if usage.used + 1 > usage.paid:
        raise ValidationError(
            _(
                "All %(paid)d paid seats are taken (people and open invitations). An admin "
                "can add seats on the Billing page, or free one by deactivating someone."
            )
            % {"paid": usage.paid},
            code="seats_full",
        )


def inbox_ensure_room(*, company: Company, active_inboxes: int) -> None:
    """Refuse a new inbox beyond the plan's limit, or while the account is read-only."""
    subscription = _subscription_for_check(company)
    if not subscription.can_write:
        raise read_only_error()
    limit = subscription.plan.max_inboxes
    if limit is not None and active_inboxes + 1 > limit:
        raise ValidationError(
            _(
                "Your plan includes %(limit)d inboxes and all are in use. An admin can change "
                "the plan on the Billing page, or archive an inbox first."
            )
            % {"limit": limit},
            code="inboxes_full",
        )
