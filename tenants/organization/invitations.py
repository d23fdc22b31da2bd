"""Invitations: an admin invites someone by email; the link's token (stored hashed) lets them
set their name and password and join with the role and branches chosen. Seats are counted
when the invitation is made and again when it is accepted.

All run inside the company's schema (the caller's request or task has selected it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from messenger.schema import current_schema
from messenger.tasks import enqueue_on_commit
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.organization.models import BranchMembership, Invitation
from tenants.organization.services import (
    company_user_count_refresh,
    person_clean,
)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    replaced: list[Invitation]  # the pending invitations to the same address it revoked

    def replaced_summary(self) -> str | None:
        """What the new invitation replaced, in words, or None when it replaced nothing."""
        if not self.replaced:
            return None
        previous = self.replaced[0]
        return _(
            "It replaces the invitation of %(date)s as %(role)s; the link in that email no "
            "longer works."
        ) % {
            "date": formats.date_format(
                timezone.localtime(previous.created_at), "SHORT_DATETIME_FORMAT"
            ),
            "role": previous.get_role_display(),
        }


@transaction.atomic
def operator_invite(
    *,
    email: str,
    full_name: str,
    role: str,
    branch_ids: Iterable[int],
    actor: User,
    accept_url_for: Callable[[str], str],
) -> InvitationSent:
    """Email an expiring link to join; the token itself is never stored. A pending invitation
    to the same address is revoked: the result says which.

    `accept_url_for(token)` builds the absolute link on the company's host.
    """
    email, full_name, role, branches = person_clean(
        email=email, full_name=full_name, role=role, branch_ids=branch_ids
    )
    from billing.limits import seat_ensure_free  # the paid seats (docs/billing.md)

    seat_ensure_free(invitation_to=email)
    now = timezone.now()
    # A fresh invitation replaces any pending one for the same address.
    replaced = list(
        Invitation.objects.select_for_update()
        .filter(email=email, accepted_at=None, revoked_at=None, expires_at__gt=now)
        .order_by("-created_at")
    )
    Invitation.objects.filter(email=email, accepted_at=None, revoked_at=None).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=now + timedelta(hours=settings.INVITATION_TTL_HOURS),
    )
    invitation.branches.set(branches)
    enqueue_on_commit(
        "tenants.organization.tasks.invitation_email_send", invitation.pk, accept_url_for(token)
    )
    return InvitationSent(invitation=invitation, replaced=replaced)


def invitation_email_send(*, invitation_id: int, accept_url: str) -> bool:
    """Email a pending invitation in the company's language; False when no longer pending."""
    invitation = Invitation.objects.select_related("invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return False
    company = Company.objects.get(schema_name=current_schema())
    actor_name = invitation.invited_by.full_name if invitation.invited_by else company.name
    with translation.override(company.language):
        context = {
            "company": company,
            "invitation": invitation,
            "url": accept_url,
            "actor_name": actor_name,
            "hours": settings.INVITATION_TTL_HOURS,
        }
        subject = _("%(actor)s invites you to %(company)s on Messenger") % {
            "actor": actor_name,
            "company": company.name,
        }
        body = render_to_string("organization/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    return True


def invitation_by_token(token: str) -> Invitation | None:
    """The pending invitation for this token, or None when unknown, used, revoked or expired."""
    invitation = Invitation.objects.filter(token_hash=_token_hash(token or "")).first()
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """Turn a pending invitation into a user with the invited role and branches."""
    invitation = (
        Invitation.objects.select_for_update().filter(token_hash=_token_hash(token or "")).first()
    )
    if invitation is None or not invitation.is_pending:
        raise ValidationError(
            _("This invitation link is invalid or has expired."), code="invalid_invitation"
        )
    full_name = (full_name or "").strip() or invitation.full_name
    if not full_name:
        raise ValidationError({"full_name": [_("Enter your name.")]})
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError(_("This invitation has already been used."))
    try:
        validate_password(password, user=User(email=invitation.email, full_name=full_name))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    from billing.limits import seat_ensure_free  # the paid seats (docs/billing.md)

    seat_ensure_free(invitation_to=invitation.email)
    user = User.objects.create_user(
        invitation.email, password, full_name=full_name, role=invitation.role
    )
    BranchMembership.objects.bulk_create(
        BranchMembership(branch=b, user=user) for b in invitation.branches.all()
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    company_user_count_refresh()
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(revoked_at=timezone.now())
