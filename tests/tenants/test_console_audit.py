"""The console's global audit log: filters, the streamed CSV export (safe to open in a
spreadsheet), staff only; looking at pages writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tenants.accounts.models import User
from tenants.console.models import ConsoleAuditRecord
from tenants.console.reports import csv_safe
from tenants.console.services import audit_record
from tests.factories import staff_login
from tests.factories.billing import company_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def log(staff):  # type: ignore[no-untyped-def]
    other = User.objects.create_user(
        "other-staff@platform.test", "x-long-password-1", is_staff=True
    )
    one, two = company_row("Audited One"), company_row("Audited Two")
    audit_record(actor=staff, action="company.suspended", company=one, reason="=HYPERLINK(1)")
    audit_record(actor=other, action="company.trial_extended", company=two, reason="+cmd", days=3)
    old = audit_record(actor=staff, action="company.free_seats_added", company=two, reason="-1")
    ConsoleAuditRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    client = Client(HTTP_HOST="localhost")
    staff_login(client, staff)
    return {"client": client, "one": one, "two": two, "other": other}


def _actions(client: Client, **params: str) -> list[str]:
    rows = client.get("/console/audit/export.csv", params)
    body = b"".join(rows.streaming_content).decode()  # type: ignore[attr-defined]
    return [r[2] for r in list(csv.reader(io.StringIO(body)))[1:]]


def test_the_log_filters_by_staff_company_action_and_time(log):
    client = log["client"]
    assert _actions(client, actor="other-staff") == ["company.trial_extended"]
    assert set(_actions(client, company=str(log["two"].pk))) == {
        "company.trial_extended",
        "company.free_seats_added",
    }
    assert _actions(client, company="Audited One") == ["company.suspended"]
    assert _actions(client, action="company.suspended") == ["company.suspended"]
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    assert "company.free_seats_added" not in _actions(client, since=since, company="Audited")
    html = client.get("/console/audit/", {"actor": "other-staff"}).content.decode()
    assert "company.trial_extended" in html and "=HYPERLINK" not in html


def test_the_csv_export_is_streamed_with_reasons_and_formula_cells_neutralised(log):
    response = log["client"].get("/console/audit/export.csv", {"company": "Audited"})
    assert response.streaming and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["time", "staff", "action", "company", "reason", "detail", "ip"]
    reasons = {r[2]: r[4] for r in rows[1:]}
    assert reasons["company.suspended"] == "'=HYPERLINK(1)"
    assert reasons["company.trial_extended"] == "'+cmd"
    assert reasons["company.free_seats_added"] == "'-1"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain"), (None, "")],
)
def test_csv_cells_that_a_sheet_would_run_get_a_quote(value, safe):
    assert csv_safe(value) == safe


def test_only_staff_see_or_export_the_log(log, acme):
    user = User.objects.create_user("plain-audit@platform.test", "x-long-password-1")
    client = Client(HTTP_HOST="localhost")
    assert client.get("/console/audit/").status_code == 302
    client.force_login(user)
    assert client.get("/console/audit/").status_code == 403
    assert client.get("/console/audit/export.csv").status_code == 403
    assert acme.login().get("/console/audit/export.csv").status_code == 404


def test_browsing_the_console_writes_no_audit_rows(log):
    client = log["client"]
    count = ConsoleAuditRecord.objects.count()
    for path in ("/console/", f"/console/companies/{log['one'].pk}/", "/console/business/"):
        assert client.get(path).status_code == 200
    assert client.get("/console/audit/").status_code == 200
    assert ConsoleAuditRecord.objects.count() == count
