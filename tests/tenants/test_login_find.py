"""The "I already have an account" page: the base host's /login/ sends a company address to that
company's login page, and emails the login links of an email's companies without telling the
page whether there are any."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tests.conftest import OPERATOR_EMAIL, TenantWorld

pytestmark = pytest.mark.django_db

SENT = "If an account exists for"


def test_the_signup_page_links_to_the_login_page(base_client: Client):
    page = base_client.get("/signup/").content.decode()
    assert 'href="/login/"' in page
    assert base_client.get("/login/").status_code == 200


@pytest.mark.parametrize(
    "typed", ["acme", " ACME ", "acme.localhost", "https://acme.localhost/dialogs/"]
)
def test_a_company_address_goes_to_that_companys_login_page(
    acme: TenantWorld, base_client: Client, typed: str
):
    response = base_client.post("/login/", {"address": typed})
    assert response.status_code == 302
    assert response["Location"].endswith("://acme.localhost/login/")


def test_an_unknown_company_address_is_said_so(base_client: Client):
    response = base_client.post("/login/", {"address": "no-such-company"})
    assert response.status_code == 200
    assert "No company has this address" in response.content.decode()


def test_an_email_gets_the_login_links_of_every_company_it_belongs_to(
    acme: TenantWorld, globex: TenantWorld, base_client: Client, django_capture_on_commit_callbacks
):
    # the operator works in both companies; an admin email of acme only owns acme
    with django_capture_on_commit_callbacks(execute=True):
        response = base_client.post("/login/", {"address": OPERATOR_EMAIL.upper()})
    assert response.status_code == 200 and SENT in response.content.decode()
    (email,) = mail.outbox
    assert email.to == [OPERATOR_EMAIL]
    assert "acme.localhost/login/" in email.body and "globex.localhost/login/" in email.body


def test_an_owner_gets_only_their_company_and_a_former_teammate_nothing(
    acme: TenantWorld, globex: TenantWorld, base_client: Client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        base_client.post("/login/", {"address": acme.admin_email})
    (email,) = mail.outbox
    assert "acme.localhost/login/" in email.body and "globex" not in email.body
    with schema_context(acme.company.schema_name):
        User.objects.filter(email=OPERATOR_EMAIL).update(is_active=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        base_client.post("/login/", {"address": OPERATOR_EMAIL})
    (email,) = mail.outbox
    assert "globex.localhost/login/" in email.body and "acme" not in email.body


def test_an_unknown_email_gets_the_same_answer_and_no_email(
    acme: TenantWorld, base_client: Client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = base_client.post("/login/", {"address": "nobody@example.com"})
    assert response.status_code == 200 and SENT in response.content.decode()
    assert mail.outbox == []


def test_the_login_page_is_rate_limited_per_address(base_client: Client, settings):  # type: ignore[no-untyped-def]
    settings.RATELIMIT_LOGIN_FIND_IP = "2/h"
    for _ in range(2):
        assert base_client.post("/login/", {"address": "nobody@example.com"}).status_code == 200
    refused = base_client.post("/login/", {"address": "acme"})
    assert refused.status_code == 429
    assert "Too many requests" in refused.content.decode()


def test_one_mailbox_gets_few_login_emails_whatever_network_asks(
    acme: TenantWorld, settings, django_capture_on_commit_callbacks
):  # type: ignore[no-untyped-def]
    settings.RATELIMIT_LOGIN_FIND_EMAIL = "2/h"
    for n in range(3):
        client = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"198.51.100.{n + 1}")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/login/", {"address": acme.admin_email})
        assert response.status_code == 200 and SENT in response.content.decode()
    assert len(mail.outbox) == 2
