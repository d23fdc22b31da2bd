"""Staff logging in as a company's admin to help them ("staff access").

A support (or owner) staff member starts a visit from the console's company page with a reason;
it lasts `ACCESS_MINUTES`. The console records it (StaffAccess, public schema) and audits it,
then sends the browser to the company's host with a one-time handoff token
(tenants/accounts/handoff.py, purpose "staff-access"). There the session is the admin's, marked
with the visit's id, and it is read-only (tenants/console/access_middleware.py): pages and chats
can be read, nothing can be changed or sent, and the operator socket is refused, so the admin
is never shown online, offered chats or credited with anything. Entering does not count as the
admin's login (their last_login stays). A visit ends when staff press "End", log out, or when
it expires; every start and end is in the console audit, and the company's admins see the
visits on their Company settings page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from messenger.tenancy import company_url
from tenants.accounts.handoff import handoff_read, handoff_token_make
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.console.models import ConsoleAuditRecord, StaffAccess
from tenants.console.roles import Role, staff_role_check
from tenants.console.services import StaffAct

ACCESS_MINUTES = 30
PURPOSE = "staff-access"
SESSION_KEY = "staff_access_id"  # on the company host's session while a visit lasts
_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _company_admin(company: Company) -> User | None:
    """The admin to visit as: the owner's account if it is an active admin, else the earliest."""
    with schema_context(company.schema_name):
        admins = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("date_joined")
        return admins.filter(email=company.owner_email).first() or admins.first()


def _audit(access: StaffAccess, action: str, **detail: Any) -> None:
    """Audit without loading the staff user: on a company host the search path would find the
    company's own user table first."""
    ip_address = detail.pop("ip_address", None)
    user_agent = str(detail.pop("user_agent", "") or "")[:300]
    ConsoleAuditRecord.objects.create(
        actor_id=access.staff_id,
        actor_email=access.staff_email,
        action=action,
        company_id=access.company_id,
        detail={"access_id": access.pk, "admin_email": access.admin_email, **detail},
        ip_address=ip_address,
        user_agent=user_agent,
    )


@transaction.atomic
def staff_access_start(*, company: Company, by: StaffAct) -> tuple[StaffAccess, str]:
    """Record and audit a visit; returns it and the one-time URL that opens it on the company's
    host. Support or owner role and a reason are required."""
    staff = by.actor
    staff_role_check(staff, Role.SUPPORT)
    by = by.checked()
    if company.is_suspended:
        raise ValidationError(_("The company is suspended: its panel is closed."))
    admin = _company_admin(company)
    if admin is None:
        raise ValidationError(_("The company has no active admin."))
    now = timezone.now()
    access = StaffAccess.objects.create(
        company=company,
        staff=staff,
        staff_email=staff.email,
        staff_name=staff.full_name,
        admin_user_id=admin.pk,
        admin_email=admin.email,
        reason=by.reason[:300],
        started_at=now,
        expires_at=now + timedelta(minutes=ACCESS_MINUTES),
    )
    by.record(
        "staff_access.started",
        company,
        access_id=access.pk,
        admin_email=access.admin_email,
        expires_at=access.expires_at.isoformat(),
    )
    token = handoff_token_make(
        user=admin, schema_name=company.schema_name, purpose=PURPOSE, claims={"a": access.pk}
    )
    return access, company_url(company, f"/auth/staff-access/?token={token}")


def staff_access_enter(request: HttpRequest, *, token: str, company: Company) -> bool:
    """On the company's host: open the visit the token was made for, once. The session becomes
    the admin's, marked with the visit, without counting as the admin's login."""
    found = handoff_read(token=token, schema_name=company.schema_name, purpose=PURPOSE)
    if found is None:
        return False
    user, claims = found
    access_id = claims.get("a")
    if not isinstance(access_id, int) or not user.is_company_admin:
        return False
    now = timezone.now()
    opened = StaffAccess.objects.filter(
        pk=access_id,
        company=company,
        admin_user_id=user.pk,
        handoff_used_at__isnull=True,
        ended_at__isnull=True,
        expires_at__gt=now,
    ).update(handoff_used_at=now)
    if not opened:
        return False
    # django.contrib.auth.login without its signal: the admin's last_login must not change.
    request.session.flush()
    request.session[USER_SESSION_KEY] = user._meta.pk.value_to_string(user)
    request.session[BACKEND_SESSION_KEY] = _BACKEND
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    request.session[SESSION_KEY] = access_id
    request.user = user
    rotate_token(request)
    return True


def session_access(request: HttpRequest) -> StaffAccess | None:
    """The visit this session belongs to (open or not), or None for an ordinary session."""
    access_id = request.session.get(SESSION_KEY)
    if access_id is None:
        return None
    company = getattr(request, "tenant", None)
    if company is None:
        return None
    return StaffAccess.objects.filter(pk=access_id, company=company).first()


def staff_access_end(
    access: StaffAccess,
    *,
    end_reason: str = StaffAccess.End.ENDED,
    ip_address: str | None = None,
    user_agent: str = "",
) -> bool:
    """End a visit once (later calls change nothing) and audit it; True if this call ended it."""
    now = timezone.now()
    with transaction.atomic():
        ended = StaffAccess.objects.filter(pk=access.pk, ended_at__isnull=True).update(
            ended_at=now, end_reason=end_reason
        )
        if ended:
            access.ended_at, access.end_reason = now, end_reason
            _audit(
                access,
                "staff_access.ended",
                end_reason=end_reason,
                ip_address=ip_address,
                user_agent=user_agent,
            )
    return bool(ended)


def staff_access_expire_due(now: Any = None) -> int:
    """End every visit past its time (the periodic sweep; a visit also ends on its next request)."""
    now = now or timezone.now()
    due = StaffAccess.objects.filter(ended_at__isnull=True, expires_at__lte=now)
    return sum(staff_access_end(a, end_reason=StaffAccess.End.EXPIRED) for a in due)


def access_log(company: Company, limit: int = 50) -> QuerySet[StaffAccess]:
    """The company's staff visits, newest first (what its admins see)."""
    return StaffAccess.objects.filter(company=company)[:limit]
