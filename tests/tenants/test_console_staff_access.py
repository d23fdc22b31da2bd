"""Staff log in as a company's admin to help: support role and a reason, time-limited, read-only,
shown on every panel page, audited, and listed for the company's admins."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes.realtime.auth import panel_user_for_scope
from tenants.accounts.models import User
from tenants.console.impersonation import staff_access_expire_due
from tenants.console.models import ConsoleAuditRecord, StaffAccess
from tenants.console.roles import staff_role_set
from tests.factories import PASSWORD, staff_login

pytestmark = pytest.mark.django_db


def make_staff(email: str, role: str | None) -> User:
    connection.set_schema_to_public()
    user = User.objects.create_user(email, PASSWORD, full_name="Sam Support", is_staff=True)
    if role:
        staff_role_set(user=user, role=role)
    return user


def start(staff: User, company, reason: str = "Customer asked for help with routing"):  # type: ignore[no-untyped-def]
    client = staff_login(Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.5"), staff)
    return client.post(f"/console/companies/{company.pk}/access/", {"reason": reason})


def enter(acme, staff: User) -> Client:  # type: ignore[no-untyped-def]
    """Start a visit from the console and follow the handoff onto the company's host."""
    response = start(staff, acme.company)
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.hostname == acme.host and url.path == "/auth/staff-access/"
    panel = acme.client()
    assert panel.get(f"{url.path}?{url.query}")["Location"] == "/"
    return panel


def admin() -> User:
    return User.objects.get(role=User.Role.ADMIN)


def test_log_in_as_needs_a_support_role(acme):
    response = start(make_staff("billing@platform.test", "billing"), acme.company)
    assert response.status_code == 403
    assert start(make_staff("norole@platform.test", None), acme.company).status_code == 403
    assert not StaffAccess.objects.exists()


def test_log_in_as_needs_a_reason(acme):
    staff = make_staff("support@platform.test", "support")
    response = start(staff, acme.company, reason="   ")
    assert response["Location"] == f"/console/companies/{acme.company.pk}/"
    assert not StaffAccess.objects.exists()
    assert not ConsoleAuditRecord.objects.filter(action="staff_access.started").exists()


def test_support_lands_in_the_panel_as_the_admin_with_a_banner_on_every_page(acme):
    staff = make_staff("support@platform.test", "support")
    panel = enter(acme, staff)
    for path in ("/dialogs/", "/settings/team/", "/settings/company/"):
        page = panel.get(path).content.decode()
        assert 'id="staff-access-banner"' in page and "support@platform.test" in page
    record = ConsoleAuditRecord.objects.get(action="staff_access.started")
    assert record.actor_email == staff.email and record.company == acme.company
    assert record.detail["reason"] == "Customer asked for help with routing"
    # the company page in the console offers the form to support staff
    console = staff_login(Client(HTTP_HOST="localhost"), staff)
    assert (
        "staff-access-form"
        in console.get(f"/console/companies/{acme.company.pk}/").content.decode()
    )


def test_the_handoff_link_opens_the_visit_only_once(acme):
    response = start(make_staff("support@platform.test", "support"), acme.company)
    url = urlsplit(response["Location"])
    assert acme.client().get(f"{url.path}?{url.query}")["Location"] == "/"
    assert acme.client().get(f"{url.path}?{url.query}")["Location"] == "/login/"


def test_the_visit_expires_and_its_session_ends(acme):
    panel = enter(acme, make_staff("support@platform.test", "support"))
    StaffAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = panel.get("/dialogs/")
    assert response.status_code == 302 and "/console/companies/" in response["Location"]
    assert panel.get("/dialogs/")["Location"].startswith("/login/")
    access = StaffAccess.objects.get()
    assert access.end_reason == "expired" and access.ended_at is not None
    assert ConsoleAuditRecord.objects.filter(action="staff_access.ended").count() == 1


def test_the_end_button_ends_the_visit_and_returns_to_the_console(acme):
    panel = enter(acme, make_staff("support@platform.test", "support"))
    response = panel.post("/auth/staff-access/end/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/console/companies/{acme.company.pk}/")
    assert panel.get("/dialogs/")["Location"].startswith("/login/")
    record = ConsoleAuditRecord.objects.get(action="staff_access.ended")
    assert record.detail["end_reason"] == "ended"


def test_the_expiry_sweep_ends_visits_nobody_returned_to(acme):
    enter(acme, make_staff("support@platform.test", "support"))
    assert staff_access_expire_due() == 0
    StaffAccess.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert staff_access_expire_due() == 1
    assert staff_access_expire_due() == 0  # audited once
    assert ConsoleAuditRecord.objects.filter(action="staff_access.ended").count() == 1


def test_the_companys_admins_see_when_staff_accessed_their_panel(acme, globex):
    enter(acme, make_staff("support@platform.test", "support"))
    page = acme.login().get("/settings/company/").content.decode()
    assert 'id="staff-access-log"' in page
    assert "support@platform.test" in page and "Customer asked for help with routing" in page
    other = globex.login().get("/settings/company/").content.decode()
    assert "support@platform.test" not in other


def test_nothing_done_during_the_visit_is_attributed_to_the_admin(acme):
    with schema_context(acme.company.schema_name):
        last_login = admin().last_login
    panel = enter(acme, make_staff("support@platform.test", "support"))
    # settings, team and chats refuse every change
    response = panel.post("/settings/company/", {"form": "company", "name": "Hacked"})
    assert response.status_code == 403 and "read-only" in response.content.decode()
    sent = panel.post(
        "/api/v1/conversations/1/messages", {"text": "hi"}, content_type="application/json"
    )
    assert sent.status_code == 403
    assert panel.post("/api/v1/me/status", {"status": "online"}).status_code == 403
    # entering is not the admin's login, and their live socket is refused (never shown online)
    cookie = panel.cookies["msid"].value
    scope = {"headers": [(b"host", acme.host.encode()), (b"cookie", f"msid={cookie}".encode())]}
    assert panel_user_for_scope(scope) is None
    with schema_context(acme.company.schema_name):
        me = admin()
        assert me.last_login == last_login and me.status == User.Status.OFFLINE
    acme.company.refresh_from_db()
    assert acme.company.name == "Acme"
