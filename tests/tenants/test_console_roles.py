"""Roles within platform staff: support, billing, owner (all); superusers count as owners."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from tenants.accounts.models import User
from tenants.console.roles import (
    staff_has_role,
    staff_role,
    staff_role_check,
    staff_role_required,
    staff_role_set,
)
from tests.factories import PASSWORD, staff_device

pytestmark = pytest.mark.django_db


def staff_with(role: str | None, email: str = "s@platform.test") -> User:
    user = User.objects.create_user(email, PASSWORD, full_name="S", is_staff=True)
    if role:
        staff_role_set(user=user, role=role)
    return user


def test_each_role_allows_its_own_actions_and_the_owner_all(db):
    support, billing, owner = (
        staff_with(r, f"{r}@platform.test") for r in ("support", "billing", "owner")
    )
    assert staff_has_role(support, "support") and not staff_has_role(support, "billing")
    assert staff_has_role(billing, "billing") and not staff_has_role(billing, "support")
    assert staff_has_role(owner, "support") and staff_has_role(owner, "billing")


def test_staff_without_a_role_and_non_staff_hold_none(db):
    assert staff_role(staff_with(None)) is None
    plain = User.objects.create_user("plain@platform.test", PASSWORD, full_name="P")
    staff_role_set(user=plain, role="owner")
    assert not staff_has_role(plain, "support")
    with pytest.raises(PermissionDenied):
        staff_role_check(plain, "support")


def test_a_superuser_counts_as_owner(staff):
    assert staff_role(staff) == "owner" and staff_has_role(staff, "billing")


def test_an_unknown_role_is_refused(db):
    with pytest.raises(ValueError):
        staff_role_set(user=staff_with(None), role="god")


def test_a_role_guarded_view_refuses_other_roles_and_admits_its_own(db):
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse
    from django_otp import DEVICE_ID_SESSION_KEY

    @staff_role_required("billing")
    def view(request):  # type: ignore[no-untyped-def]
        return HttpResponse("ok")

    def call(user: User) -> int:
        request = RequestFactory().get("/console/x/", HTTP_HOST="localhost")
        request.user = user
        request.session = SessionStore()
        request.session[DEVICE_ID_SESSION_KEY] = staff_device(user).persistent_id
        return view(request).status_code

    assert call(staff_with("support", "sup@platform.test")) == 403
    assert call(staff_with("billing", "bil@platform.test")) == 200
    assert call(staff_with("owner", "own@platform.test")) == 200
