"""Inboxes from the panel: a new company's first inbox, creating, archiving and restoring,
the install check, the identity secret and instructions for a developer."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.models import Inbox
from inboxes.services import inbox_create
from tenants.companies.models import Company
from tenants.companies.services import company_signup
from tests.conftest import OPERATOR_EMAIL, TenantWorld
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _signup(slug: str, website: str = "", language: str = "en"):  # type: ignore[no-untyped-def]
    return company_signup(
        name=f"Shop {slug}",
        slug=slug,
        admin_name="Owner",
        email=f"owner@{slug}.example.com",
        password=PASSWORD,
        language=language,
        timezone_name="Europe/Moscow",
        website=website,
    )


def test_a_new_company_gets_a_website_inbox_named_after_it_for_its_site():
    slug = f"n{uuid.uuid4().hex[:8]}"
    result = _signup(slug, website="https://www.Shop-Example.com/about", language="ru")
    with schema_context(result.company.schema_name):
        (inbox,) = Inbox.objects.all()
    assert inbox.name == f"Shop {slug}"
    assert inbox.allowed_domains == ["shop-example.com", "*.shop-example.com"]
    assert inbox.is_active and inbox.language == "ru"
    assert inbox.greeting == "Здравствуйте! Чем можем помочь?"


def test_a_signup_with_a_website_that_is_no_address_is_refused_and_creates_nothing():
    slug = f"n{uuid.uuid4().hex[:8]}"
    with pytest.raises(ValidationError) as refused:
        _signup(slug, website="not a site!")
    assert "website" in refused.value.message_dict
    assert not Company.objects.filter(slug=slug).exists()


def test_an_admin_creates_an_inbox_and_lands_on_its_install_page(acme: TenantWorld):
    client = acme.login()
    assert client.get("/settings/inboxes/new/").status_code == 200
    response = client.post(
        "/settings/inboxes/new/", {"name": "Outlet", "website": "outlet.example.org"}
    )
    with schema_context(acme.company.schema_name):
        inbox = Inbox.objects.get(name="Outlet")
    assert response.status_code == 302
    assert response["Location"] == f"/settings/inboxes/{inbox.pk}/"
    assert inbox.allowed_domains == ["outlet.example.org", "*.outlet.example.org"]
    page = client.get(response["Location"]).content.decode()
    assert inbox.public_key in page and "Copy the code" in page
    assert "closing &lt;/body&gt; tag" in page  # named, not swallowed as markup
    assert inbox.identity_secret not in page.split("data-secret=")[0]  # masked until revealed


def test_an_inbox_needs_a_website_and_operators_cannot_create_one(acme: TenantWorld):
    client = acme.login()
    refused = client.post("/settings/inboxes/new/", {"name": "Bad", "website": "no site here"})
    assert refused.status_code == 200
    assert "Enter a website address" in refused.content.decode()
    operator = acme.login(OPERATOR_EMAIL)
    operator.post("/settings/inboxes/new/", {"name": "Sneaky", "website": "sneaky.example.com"})
    with schema_context(acme.company.schema_name):
        assert not Inbox.objects.filter(name__in=["Bad", "Sneaky"]).exists()


def test_an_archived_inbox_leaves_the_list_and_the_web_and_can_be_restored(acme: TenantWorld):
    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Seasonal", allowed_domains=["shop.example.com"])
    client = acme.login()
    client.post(f"/settings/inboxes/{inbox.pk}/archive/", {"action": "archive"})
    inbox.refresh_from_db()
    assert inbox.archived_at is not None and not inbox.is_active
    listing = client.get("/settings/inboxes/").content.decode()
    assert listing.index("Seasonal") > listing.index("Archived")
    widget = Client(HTTP_HOST="localhost").get(
        f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN="https://shop.example.com"
    )
    assert widget.status_code == 404

    client.post(f"/settings/inboxes/{inbox.pk}/archive/", {"action": "restore"})
    inbox.refresh_from_db()
    assert inbox.archived_at is None and not inbox.is_active  # on again only when turned on


def test_the_install_check_records_the_first_allowed_site_and_ignores_refused_ones(
    acme: TenantWorld,
):
    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Checked", allowed_domains=["shop.example.com"])
    client = acme.login()
    status = f"/settings/inboxes/{inbox.pk}/install/"
    assert client.get(status).json()["installed"] is False
    widget = Client(HTTP_HOST="localhost")
    config = f"/widget/v1/inboxes/{inbox.public_key}/config"

    assert widget.get(config, HTTP_ORIGIN="https://evil.example.net").status_code == 403
    assert client.get(status).json()["installed"] is False
    assert widget.get(config, HTTP_ORIGIN="https://shop.example.com").status_code == 200
    assert widget.get(config, HTTP_ORIGIN="https://shop.example.com:8443").status_code == 200

    seen = client.get(status).json()
    assert seen["installed"] is True
    assert seen["origin"] == "https://shop.example.com"  # the first one, kept
    assert seen["at"]
    assert "evil.example.net" in seen["blocked"]
    assert "seen on https://shop.example.com" in client.get("/settings/inboxes/").content.decode()


def test_rotating_the_identity_secret_replaces_it(acme: TenantWorld):
    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Signed", allowed_domains=["shop.example.com"])
    old = inbox.identity_secret
    acme.login().post(f"/settings/inboxes/{inbox.pk}/secret/")
    inbox.refresh_from_db()
    assert inbox.identity_secret != old and len(inbox.identity_secret) == 64


def test_install_instructions_go_to_the_developer_in_the_companys_language(
    acme: TenantWorld,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
):
    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Docs", allowed_domains=["shop.example.com"])
    Company.objects.filter(pk=acme.company.pk).update(language="ru")
    client = acme.login()
    bad = client.post(f"/settings/inboxes/{inbox.pk}/instructions/", {"email": "nope"})
    assert bad.status_code == 302 and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/inboxes/{inbox.pk}/instructions/", {"email": "dev@agency.example"})
    (message,) = mail.outbox
    assert message.to == ["dev@agency.example"]
    assert "Как установить чат" in message.subject
    assert inbox.public_key in message.body and "</body>" in message.body
    assert inbox.identity_secret not in message.body


def test_the_snippet_loads_from_the_cdn_and_names_the_messenger_host(acme: TenantWorld, settings):
    settings.WIDGET_CDN_URL = "https://cdn.messenger.example/cdn"
    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Via CDN", allowed_domains=["shop.example.com"])
    page = acme.login().get(f"/settings/inboxes/{inbox.pk}/").content.decode()
    # (escaped: the snippet is shown as text in a textarea)
    assert "src=&quot;https://cdn.messenger.example/cdn/loader.js&quot;" in page
    assert f"data-messenger-key=&quot;{inbox.public_key}&quot;" in page
    assert "data-messenger-host=&quot;https://localhost&quot;" in page
    frame = Client(HTTP_HOST="localhost").get(
        f"/widget/frame/{inbox.public_key}/", HTTP_REFERER="https://shop.example.com/"
    )
    assert frame.status_code == 200
    assert "script-src 'self' https://cdn.messenger.example;" in frame["Content-Security-Policy"]
    assert 'src="https://cdn.messenger.example/cdn/widget.' in frame.content.decode()


def test_loader_is_cached_briefly_with_stale_while_revalidate(db):  # type: ignore[no-untyped-def]
    response = Client(HTTP_HOST="localhost").get("/cdn/loader.js")  # built by scripts/setup.sh
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300, stale-while-revalidate=86400"
