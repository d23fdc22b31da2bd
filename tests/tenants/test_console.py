"""The superadmin console: staff only, base host only, every action audited."""

from __future__ import annotations

import pytest
from django.test import Client

from tenants.companies.models import Company
from tenants.console.models import ConsoleAuditRecord
from tests.factories import PASSWORD, staff_login

pytestmark = pytest.mark.django_db


def staff_client(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client(
        HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="pytest-console"
    )
    return staff_login(client, staff)


def test_staff_logs_in_on_the_base_host_and_the_login_is_audited(staff):
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.7")
    response = client.post("/console/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/console/"
    record = ConsoleAuditRecord.objects.get(action="console.login")
    assert (record.actor_email, record.ip_address) == (staff.email, "203.0.113.7")


def test_a_company_admin_cannot_log_in_to_the_console(acme, staff):
    response = Client(HTTP_HOST="localhost").post(
        "/console/login/", {"username": acme.admin_email, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again: no such user in the public schema
    assert "_auth_user_id" not in Client().session


def test_the_console_does_not_exist_on_a_company_host(acme, staff):
    client = acme.client()
    assert client.get("/console/").status_code == 404
    assert client.get("/console/login/").status_code == 404


def test_non_staff_public_user_is_refused(db):
    from tenants.accounts.models import User

    user = User.objects.create_user("plain@platform.test", PASSWORD, full_name="Plain")
    client = Client(HTTP_HOST="localhost")
    response = client.post("/console/login/", {"username": user.email, "password": PASSWORD})
    assert "for platform staff only" in response.content.decode()
    staff_login(client, user)
    assert client.get("/console/").status_code == 403


def test_company_list_shows_size_and_searches_by_name_subdomain_or_email(acme, globex, staff):
    client = staff_client(staff)
    page = client.get("/console/").content.decode()
    assert "Acme" in page and "Globex" in page
    found = client.get("/console/", {"q": "glob"}).content.decode()
    assert "Globex" in found and ">Acme<" not in found
    by_email = client.get("/console/", {"q": acme.admin_email}).content.decode()
    assert ">Acme<" in by_email and ">Globex<" not in by_email
    assert acme.company.user_count == 2


def test_opening_a_company_record_writes_no_audit_row(acme, staff):
    client = staff_client(staff)
    response = client.get(f"/console/companies/{acme.company.pk}/")
    assert response.status_code == 200
    assert "co_acme" in response.content.decode()
    assert not ConsoleAuditRecord.objects.filter(company=acme.company).exists()


def test_suspending_a_company_closes_its_panel_with_a_clear_message(acme, staff):
    # given an operator with an open session
    operator = acme.login("op@example.com")
    # when staff suspend the company
    client = staff_client(staff)
    client.post(
        f"/console/companies/{acme.company.pk}/status/",
        {"action": "suspend", "reason": "Unpaid invoice"},
    )
    # then its panel and login answer 403 with an explanation
    for response in (operator.get("/dialogs/"), acme.client().get("/login/")):
        assert response.status_code == 403
        assert "This account is suspended" in response.content.decode()
    record = ConsoleAuditRecord.objects.get(action="company.suspended")
    assert record.detail == {"reason": "Unpaid invoice"}
    assert record.actor_email == staff.email and record.ip_address == "203.0.113.7"
    # and reactivation opens it again
    client.post(
        f"/console/companies/{acme.company.pk}/status/",
        {"action": "reactivate", "reason": "Paid"},
    )
    assert operator.get("/dialogs/").status_code == 200
    assert ConsoleAuditRecord.objects.filter(action="company.reactivated").count() == 1


def test_suspension_without_a_reason_is_refused_and_changes_nothing(acme, staff):
    client = staff_client(staff)
    response = client.post(
        f"/console/companies/{acme.company.pk}/status/",
        {"action": "suspend", "reason": "  "},
        follow=True,
    )
    assert "Give a reason for this action." in response.content.decode()
    assert Company.objects.get(pk=acme.company.pk).status == "active"
    assert not ConsoleAuditRecord.objects.filter(action="company.suspended").exists()
