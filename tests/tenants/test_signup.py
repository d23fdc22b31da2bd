"""Self-service signup: a company, its schema, domain, admin and default branch, or nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from messenger.kernel.schemas import schemas_behind
from tenants.accounts.models import User
from tenants.companies.models import Company, Domain
from tenants.companies.services import company_signup
from tenants.organization.models import Branch
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Rocket Shop",
        "slug": "rocket",
        "admin_name": "Roma Admin",
        "email": "roma@rocket.example",
        "password": PASSWORD,
        "language": "ru",
        "timezone": "Asia/Yekaterinburg",
    }
    data.update(overrides)
    return data


def nothing_left_behind(slug: str) -> bool:
    connection.set_schema_to_public()
    return (
        not Company.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
        and not schema_exists(f"co_{slug.replace('-', '_')}")
    )


def test_signup_creates_schema_domain_admin_and_default_branch(base_client):
    # when
    response = base_client.post("/signup/", signup_data())
    # then
    company = Company.objects.get(slug="rocket")
    assert response.status_code == 302
    assert response["Location"].startswith("https://rocket.localhost/auth/handoff/?token=")
    assert company.schema_name == "co_rocket"
    assert schema_exists("co_rocket")
    assert Domain.objects.get(tenant=company).domain == "rocket.localhost"
    assert company.subscription.plan.code == "trial"
    with schema_context("co_rocket"):
        admin = User.objects.get()
        assert (admin.email, admin.role, admin.language) == ("roma@rocket.example", "admin", "ru")
        branch = Branch.objects.get()
        assert branch.is_default and branch.timezone == "Asia/Yekaterinburg"
        assert branch.name == "Головной офис"  # the company's language, not the request's


def test_signup_lands_logged_in_on_the_company_panel(base_client):
    response = base_client.post("/signup/", signup_data())
    handoff = response["Location"].removeprefix("https://rocket.localhost")
    panel = base_client.get(handoff, HTTP_HOST="rocket.localhost", follow=True)
    assert panel.status_code == 200
    assert panel.redirect_chain[-1][0] == "/dialogs/"
    assert "Rocket Shop" in panel.content.decode()


def test_signup_handoff_link_works_only_once(base_client):
    from django.test import Client

    handoff = base_client.post("/signup/", signup_data())["Location"].removeprefix(
        "https://rocket.localhost"
    )
    Client(HTTP_HOST="rocket.localhost").get(handoff)
    second = Client(HTTP_HOST="rocket.localhost").get(handoff)
    assert second.status_code == 302 and second["Location"] == "/login/"


def test_signup_handoff_token_is_worthless_on_another_company(base_client, acme):
    handoff = base_client.post("/signup/", signup_data())["Location"].removeprefix(
        "https://rocket.localhost"
    )
    response = acme.client().get(handoff)
    assert response["Location"] == "/login/"


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("admin", "This subdomain is reserved."),
        ("www", "This subdomain is reserved."),
        ("console", "This subdomain is reserved."),
        ("acme", "This subdomain is already taken."),
        ("alpha", "This subdomain is reserved."),
        ("ab", "at least 3 characters"),
        ("a" * 41, "at most 40 characters"),
        ("bad_name", "Use only Latin letters, digits and single hyphens"),
        ("-dash", "Use only Latin letters, digits and single hyphens"),
        ("two--dash", "Use only Latin letters, digits and single hyphens"),
        ("кириллица", "Use only Latin letters, digits and single hyphens"),
    ],
)
def test_signup_refuses_bad_subdomains_with_a_clear_error(base_client, acme, slug, message):
    response = base_client.post("/signup/", signup_data(slug=slug, email="x@new.example"))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Company.objects.filter(name="Rocket Shop").exists()


def test_signup_refuses_an_email_already_registered(base_client, acme):
    response = base_client.post("/signup/", signup_data(email=acme.admin_email.upper()))
    assert "A company with this email is already registered." in response.content.decode()
    assert nothing_left_behind("rocket")


@pytest.mark.parametrize("password", ["short", "1234567890123", "password123", "rocket shop"])
def test_signup_refuses_a_weak_password(base_client, password):
    response = base_client.post("/signup/", signup_data(password=password))
    assert response.status_code == 200
    assert 'id="id_password_error"' in response.content.decode()
    assert nothing_left_behind("rocket")


def test_signup_failing_at_the_last_step_leaves_no_company_schema_or_domain(monkeypatch):
    # given the default branch cannot be created (the last write of signup)
    def explode(**kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("tenants.organization.services.branch_create", explode)
    # when
    with pytest.raises(RuntimeError):
        company_signup(
            name="Rocket",
            slug="rocket",
            admin_name="R",
            email="r@r.example",
            password=PASSWORD,
            language="en",
            timezone_name="UTC",
        )
    # then
    assert nothing_left_behind("rocket")


def test_signup_service_reports_every_bad_field_at_once():
    with pytest.raises(ValidationError) as caught:
        company_signup(
            name="",
            slug="x",
            admin_name="",
            email="not-an-email",
            password="1",
            language="de",
            timezone_name="Mars/Base",
        )
    assert set(caught.value.message_dict) == {"name"}  # name is checked first
    with pytest.raises(ValidationError) as caught:
        company_signup(
            name="Ok",
            slug="x",
            admin_name="",
            email="not-an-email",
            password="1",
            language="de",
            timezone_name="Mars/Base",
        )
    assert set(caught.value.message_dict) == {
        "slug",
        "email",
        "timezone",
        "language",
        "admin_name",
        "password",
    }


def test_new_company_schema_has_every_tenant_migration_recorded(acme):
    assert schemas_behind([acme.company.schema_name]) == []
