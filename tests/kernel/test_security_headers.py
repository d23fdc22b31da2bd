"""Browser-facing protections: CSP with nonces on the panel and console, HSTS over HTTPS,
no-store on signed-in JSON, CSRF trusting only the host's own origin, production hosts, and
the demo page only where it is switched on."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from messenger.settings import base as base_settings
from tests.conftest import TenantWorld

pytestmark = pytest.mark.django_db


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


def test_panel_pages_allow_only_their_own_scripts_by_a_nonce_of_each_response(acme: TenantWorld):
    client = acme.login()
    first, second = client.get("/dialogs/"), client.get("/dialogs/")
    assert first.status_code == 200
    policy = _csp(first)
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"])
    assert nonce, policy["script-src"]
    assert "'strict-dynamic'" in policy["script-src"]
    assert "'unsafe-inline'" not in first["Content-Security-Policy"]
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    # every script element of the page carries this response's nonce, and only this one
    scripts = re.findall(r"<script\b[^>]*>", first.text)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts), scripts
    assert nonce.group(1) not in second["Content-Security-Policy"]
    assert " on" + "click=" not in first.text


def test_the_console_login_page_has_a_content_security_policy(base_client: Client):
    response = base_client.get("/console/login/")
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_https_responses_carry_hsts_for_a_year_with_subdomains(acme: TenantWorld):
    response = acme.client().get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_signed_in_json_is_never_stored(acme: TenantWorld):
    response = acme.login().get("/api/v1/me")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_form_posted_from_another_companys_origin_is_refused(
    acme: TenantWorld, globex: TenantWorld
):
    client = Client(HTTP_HOST=acme.host, enforce_csrf_checks=True)
    token = client.get("/login/", secure=True).cookies["csrftoken"].value
    form = {"username": acme.admin_email, "password": "x", "csrfmiddlewaretoken": token}
    foreign = client.post("/login/", form, secure=True, HTTP_ORIGIN=f"https://{globex.host}")
    assert foreign.status_code == 403
    own = client.post("/login/", form, secure=True, HTTP_ORIGIN=f"https://{acme.host}")
    assert own.status_code == 200  # reached the form: a wrong password, not a CSRF refusal


def test_production_hosts_do_not_include_the_test_client_host():
    assert "testserver" not in base_settings.ALLOWED_HOSTS


@override_settings(DEMO_PAGE=False)
def test_the_demo_page_does_not_exist_unless_switched_on(base_client: Client):
    assert base_client.get("/demo/").status_code == 404
    assert base_client.get("/demo/?company=acme").status_code == 404


@override_settings(DEMO_PAGE=True)
def test_the_demo_page_never_reveals_another_companys_widget_key(
    base_client: Client, acme: TenantWorld
):
    from django_tenants.utils import schema_context

    from inboxes.services import inbox_create

    with schema_context(acme.company.schema_name):
        inbox = inbox_create(name="Secret site", allowed_domains=["acme.example.com"])
    response = base_client.get("/demo/?company=acme")
    assert response.status_code == 200
    assert inbox.public_key not in response.text


@override_settings(DEMO_PAGE=True)
def test_the_demo_page_embeds_the_installation_snippet_and_no_markup_from_its_key(
    base_client: Client,
):
    from inboxes.installation import embed_snippet
    from inboxes.models import Inbox

    response = base_client.get("/demo/?key=pk_demo-Key_1")
    assert response.status_code == 200
    assert embed_snippet(Inbox(public_key="pk_demo-Key_1")) in response.text
    assert "/cdn/loader.js" in response.text
    assert "minimal-widget" not in response.text

    hostile = base_client.get('/demo/?key="><script>alert(1)</script>')
    assert hostile.status_code == 200
    assert "<script>alert(1)" not in hostile.text
