"""Platform staff reach the console with a password and a TOTP code, never the password alone."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.console.models import ConsoleAuditRecord
from tests.factories import PASSWORD, staff_device, totp_now

pytestmark = pytest.mark.django_db


def password_login(staff) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="203.0.113.9")
    response = client.post("/console/login/", {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_password_alone_does_not_reach_the_console(staff):
    staff_device(staff)
    client = password_login(staff)
    for path in ("/console/", "/console/plans/", "/console/companies/1/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/console/2fa/?next=")


def test_the_right_code_after_the_password_opens_the_console_and_is_audited(staff):
    device = staff_device(staff)
    client = password_login(staff)
    response = client.post("/console/2fa/", {"code": totp_now(device), "next": "/console/"})
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    assert ConsoleAuditRecord.objects.filter(action="console.2fa_verified").count() == 1


def test_staff_without_a_device_enrol_with_a_qr_code_and_one_code(staff):
    client = password_login(staff)
    response = client.get("/console/2fa/")
    assert response.status_code == 302 and "/console/2fa/enrol/" in response["Location"]
    page = client.get("/console/2fa/enrol/").content.decode()
    assert "<svg" in page and "otpauth://totp/" in page
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert device.config_url.split("secret=")[1][:8] in page
    # a page reload keeps the same secret until it is confirmed
    client.get("/console/2fa/enrol/")
    assert TOTPDevice.objects.filter(user=staff).count() == 1
    response = client.post("/console/2fa/enrol/", {"code": totp_now(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/console/").status_code == 200
    assert ConsoleAuditRecord.objects.filter(action="console.2fa_enrolled").exists()


def test_wrong_codes_are_refused_and_then_limited(staff, settings):
    settings.RATELIMIT_CONSOLE_OTP = "3/5m"
    device = staff_device(staff)
    client = password_login(staff)
    for _ in range(3):
        response = client.post("/console/2fa/", {"code": "000000"})
        assert response.status_code == 200
        assert "This code is not right" in response.content.decode()
    # past the budget even the right code is not checked
    response = client.post("/console/2fa/", {"code": totp_now(device)})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_a_company_host_has_no_second_factor_pages(acme):
    assert acme.client().get("/console/2fa/").status_code == 404
