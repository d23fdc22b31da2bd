"""Company set-up services: branches, operators, roles, deactivation (invitations are in
invitations.py).

All run inside the company's schema (the caller's request or task has selected it).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messenger.kernel import events as domain
from messenger.realtime import SESSION_ENDED, USER_GROUP, group, publish_on_commit
from messenger.schema import current_schema
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.organization.models import Branch, BranchMembership

ROLES = {choice.value for choice in User.Role}


def _clean_branch_fields(
    *, name: str, region: str, timezone_name: str, exclude_pk: int | None = None
) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the branch name.")]
    elif len(name) > 120:
        errors["name"] = [_("The branch name is too long.")]
    elif Branch.objects.filter(name__iexact=name).exclude(pk=exclude_pk or 0).exists():
        errors["name"] = [_("A branch with this name already exists.")]
    if timezone_name not in zoneinfo.available_timezones():
        errors["timezone"] = [_("Unknown time zone.")]
    region = (region or "").strip()
    if len(region) > 120:
        errors["region"] = [_("The region is too long.")]
    if errors:
        raise ValidationError(errors)
    return name, region, timezone_name


@transaction.atomic
def branch_create(
    *,
    name: str,
    region: str,
    timezone_name: str,
    is_default: bool = False,
    is_active: bool = True,
    actor: User | None = None,
) -> Branch:
    """Create a branch; the first branch of a company becomes its default."""
    name, region, timezone_name = _clean_branch_fields(
        name=name, region=region, timezone_name=timezone_name
    )
    if not Branch.objects.exists():
        is_default, is_active = True, True
    if is_default:
        Branch.objects.filter(is_default=True).update(is_default=False)
    return Branch.objects.create(
        name=name,
        region=region,
        timezone=timezone_name,
        is_default=is_default,
        is_active=is_active or is_default,
    )


@transaction.atomic
def branch_update(
    *, branch: Branch, name: str, region: str, timezone_name: str, is_active: bool
) -> Branch:
    name, region, timezone_name = _clean_branch_fields(
        name=name, region=region, timezone_name=timezone_name, exclude_pk=branch.pk
    )
    if branch.is_default and not is_active:
        raise ValidationError(
            {
                "is_active": [
                    _("The default branch cannot be deactivated; make another default first.")
                ]
            }
        )
    branch.name, branch.region, branch.timezone, branch.is_active = (
        name,
        region,
        timezone_name,
        is_active,
    )
    branch.save(update_fields=["name", "region", "timezone", "is_active"])
    return branch


@transaction.atomic
def branch_set_default(*, branch: Branch) -> Branch:
    """Make this branch the one chats go to when no routing rule matches (roadmap item 1)."""
    if not branch.is_active:
        raise ValidationError(_("An inactive branch cannot be the default."))
    # Lock the branch rows so two admins switching the default at once cannot leave two.
    list(Branch.objects.select_for_update().filter(is_default=True))
    Branch.objects.filter(is_default=True).exclude(pk=branch.pk).update(is_default=False)
    Branch.objects.filter(pk=branch.pk).update(is_default=True)
    branch.is_default = True
    return branch


def person_clean(
    *, email: str, full_name: str, role: str, branch_ids: Iterable[int]
) -> tuple[str, str, str, list[Branch]]:
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid email address.")]
    else:
        if User.objects.filter(email=email).exists():
            errors["email"] = [_("Somebody in your company already has this email.")]
    if role not in ROLES:
        errors["role"] = [_("Choose a role.")]
    ids = {int(i) for i in branch_ids}
    branches = list(Branch.objects.filter(pk__in=ids))
    if len(branches) != len(ids):
        errors["branches"] = [_("Choose branches of your company.")]
    if len((full_name or "").strip()) > 120:
        errors["full_name"] = [_("The name is too long.")]
    if errors:
        raise ValidationError(errors)
    return email, (full_name or "").strip(), role, branches


def company_user_count_refresh() -> None:
    Company.objects.filter(schema_name=current_schema()).update(
        user_count=User.objects.filter(is_active=True).count()
    )


@transaction.atomic
def operator_create(
    *,
    email: str,
    full_name: str,
    password: str,
    role: str,
    branch_ids: Iterable[int] = (),
    actor: User | None = None,
) -> User:
    """Create a person directly with a password the admin hands over."""
    email, full_name, role, branches = person_clean(
        email=email, full_name=full_name, role=role, branch_ids=branch_ids
    )
    if not full_name:
        raise ValidationError({"full_name": [_("Enter the name.")]})
    try:
        validate_password(password, user=User(email=email, full_name=full_name))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    from billing.limits import seat_ensure_free  # the paid seats (docs/billing.md)

    seat_ensure_free()
    user = User.objects.create_user(email, password, full_name=full_name, role=role)
    BranchMembership.objects.bulk_create(BranchMembership(branch=b, user=user) for b in branches)
    company_user_count_refresh()
    return user


def branchless_operator_warning(*, name: str, role: str, branch_count: int) -> str | None:
    """The warning to show when a person is saved as an operator in no branch: chats are routed
    to operators only through their branches, so such an operator would never get one."""
    if role != User.Role.OPERATOR or branch_count:
        return None
    return _(
        "%(name)s is an operator in no branch: no chats will come to them until you add "
        "them to a branch."
    ) % {"name": name}


def _other_active_admin_exists(user: User) -> bool:
    return User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()


@transaction.atomic
def operator_update(
    *, user: User, full_name: str, role: str, branch_ids: Iterable[int], actor: User
) -> User:
    """Change a person's name, role and branch membership."""
    if role not in ROLES:
        raise ValidationError({"role": [_("Choose a role.")]})
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": [_("Enter the name.")]})
    if (
        user.role == User.Role.ADMIN
        and role != User.Role.ADMIN
        and not _other_active_admin_exists(user)
    ):
        raise ValidationError({"role": [_("The company needs at least one active admin.")]})
    ids = {int(i) for i in branch_ids}
    branches = list(Branch.objects.filter(pk__in=ids))
    if len(branches) != len(ids):
        raise ValidationError({"branches": [_("Choose branches of your company.")]})
    user.full_name, user.role = full_name, role
    user.save(update_fields=["full_name", "role"])
    BranchMembership.objects.filter(user=user).exclude(branch__in=branches).delete()
    existing = set(BranchMembership.objects.filter(user=user).values_list("branch_id", flat=True))
    BranchMembership.objects.bulk_create(
        BranchMembership(branch=b, user=user) for b in branches if b.pk not in existing
    )
    return user


def user_sessions_end(*, user: User) -> int:
    """Delete every session of this user in the current schema; return how many."""
    ended = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def operator_deactivate(*, user: User, actor: User) -> User:
    """Deactivate a person: they cannot log in and every open session ends at once."""
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    if user.role == User.Role.ADMIN and not _other_active_admin_exists(user):
        raise ValidationError(_("The company needs at least one active admin."))
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    # Inactive users are already refused by the auth backend on their next request; deleting
    # the sessions also makes the cookies worthless if they are ever reactivated.
    user_sessions_end(user=user)
    # Open panel sockets close too (the consumer ends on this event).
    publish_on_commit(SESSION_ENDED, {"user_id": user.pk}, to=[group(USER_GROUP, user.pk)])
    company_user_count_refresh()
    return user


def operator_capacity_set(*, user: User, capacity: int | None) -> User:
    """How many open chats the person takes at once (None: no limit). Emits
    `operator.capacity_changed`: routing gives them waiting chats after commit."""
    if capacity is not None and not 1 <= capacity <= 100:
        raise ValidationError({"capacity": [_("Capacity is a number from 1 to 100, or empty.")]})
    User.objects.filter(pk=user.pk).update(capacity=capacity)
    user.capacity = capacity
    domain.emit(domain.OPERATOR_CAPACITY_CHANGED, user_id=user.pk, capacity=capacity)
    return user


@transaction.atomic
def operator_reactivate(*, user: User) -> User:
    from billing.limits import seat_ensure_free  # the paid seats (docs/billing.md)

    if not user.is_active:
        seat_ensure_free()
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    company_user_count_refresh()
    return user


def onboarding_visibility_set(*, user: User, hidden: bool) -> None:
    """Hide the getting-started checklist from this person's Dialogs page, or show it again."""
    user.onboarding_hidden = hidden
    user.save(update_fields=["onboarding_hidden"])
