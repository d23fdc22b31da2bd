"""Roles within platform staff: `support` may log in as a company's admin, `billing` may change
plans, extend trials and add seats, `owner` may do everything. A superuser counts as an owner;
any other staff member needs a StaffProfile with a role (no profile: no role-guarded action).

`staff_has_role(user, ...)` is the check for services and templates; `staff_role_required(...)`
guards a console view (it includes `staff_view`: base host, staff, both factors).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.accounts.models import User
from tenants.accounts.permissions import staff_view
from tenants.console.models import StaffProfile

Role = StaffProfile.Role
View = Callable[..., HttpResponse]


def staff_role(user: User) -> str | None:
    """The staff member's role, or None (not staff, inactive, or no role given)."""
    if not (user.is_authenticated and user.is_staff and user.is_active):
        return None
    if user.is_superuser:
        return Role.OWNER.value
    profile = StaffProfile.objects.filter(user_id=user.pk).first()
    return profile.role if profile is not None else None


def staff_has_role(user: User, *roles: str) -> bool:
    """Whether the staff member holds one of `roles`; an owner holds them all."""
    role = staff_role(user)
    return role is not None and (role == Role.OWNER or role in roles)


def staff_role_check(user: User, *roles: str) -> None:
    """Raise PermissionDenied unless the staff member holds one of `roles` (for services)."""
    if not staff_has_role(user, *roles):
        raise PermissionDenied


def staff_role_set(*, user: User, role: str) -> StaffProfile:
    """Give a staff member a role (owners do this, e.g. from a shell or a management command)."""
    if role not in Role.values:
        raise ValueError(f"unknown staff role: {role}")
    profile, _ = StaffProfile.objects.update_or_create(user=user, defaults={"role": role})
    return profile


def staff_role_required(*roles: str) -> Callable[[View], View]:
    """A console view for staff holding one of `roles` (or owners); others get 403."""

    def decorator(view: View) -> View:
        @staff_view
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not staff_has_role(request.user, *roles):  # type: ignore[arg-type]
                return render(request, "errors/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
