"""Both OpenAPI documents, fuzzed with schemathesis: every operation of the widget API and of
the panel API gets generated inputs through the whole Django stack (middleware, auth,
PostgreSQL, Redis) with real credentials — a visitor token, a company admin's session. No
answer may be a 5xx, and every answer must be one its operation declares, in the declared shape.

Each operation is its own test in its own rolled-back transaction (company `acme`), with a
bounded, derandomised number of examples so the run is short and the same every time. Path
parameters are the real conversation, branch or key in about half of the examples (the rest
are generated), so the operations are exercised past their 404s."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.urls import reverse
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from inboxes.widget_api.api import api as widget_api
from messenger.api import api as panel_api
from tenants.organization.models import Branch
from tests.inboxes.conftest import ORIGIN, make_inbox, visitor_session

EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _document(api: Any, urlconf: str) -> Any:
    """The document the API serves at <root>openapi.json, built without a request."""
    root = reverse(f"{api.urls_namespace}:api-root", urlconf=urlconf)
    return schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=root.rstrip("/")))


widget_schema = _document(widget_api, "messenger.urls_public")
panel_schema = _document(panel_api, "messenger.urls_tenant")


class InTestWSGI:
    """Django's WSGI application on the test's database connection: like the test client, a
    request neither opens nor closes connections (closing would end the test's transaction)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture
def app() -> Iterator[InTestWSGI]:
    yield InTestWSGI()
    connection.set_schema_to_public()


def _some_real(case: Any, real: dict[str, object]) -> None:
    """Put the real object's id or key into about half the examples: the half is chosen by a
    checksum of the generated values, so the same run sends the same requests."""
    generated = case.path_parameters or {}
    if zlib.crc32(repr(sorted(generated.items())).encode()) % 2:
        for name, value in real.items():
            if name in generated:
                generated[name] = value


@pytest.fixture
def widget_visitor(acme) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A visitor of one of acme's inboxes with an open conversation that has a message."""
    inbox = make_inbox(acme)
    visitor = visitor_session(inbox.public_key)
    conversation_id = visitor.start()
    visitor.send(conversation_id, "Hello")
    return {
        "token": visitor.token,
        "real": {"conversation_id": conversation_id, "public_key": inbox.public_key},
    }


@pytest.fixture
def panel_admin(acme, widget_visitor, app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Acme's admin in a browser (session and CSRF cookies) and real ids to act on."""
    csrf = uuid.uuid4().hex
    browser = Client(app)  # werkzeug's: a cookie jar for the company's host
    browser.set_cookie("msid", acme.login().cookies["msid"].value, domain=acme.host)
    browser.set_cookie("csrftoken", csrf, domain=acme.host)
    with schema_context(acme.company.schema_name):
        branch_id = Branch.objects.get(name="North").pk
    real = {"conversation_id": widget_visitor["real"]["conversation_id"], "branch_id": branch_id}
    return {"browser": browser, "csrf": csrf, "real": real}


@widget_schema.parametrize()
@FUZZ_SETTINGS
def test_widget_api_answers_every_generated_request_as_documented(case, widget_visitor, app):  # type: ignore[no-untyped-def]
    _some_real(case, widget_visitor["real"])
    case.call_and_validate(
        base_url="http://localhost",
        app=app,
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {widget_visitor['token']}"},
        checks=CHECKS,
    )


@panel_schema.parametrize()
@FUZZ_SETTINGS
def test_panel_api_answers_every_generated_request_as_documented(case, acme, panel_admin, app):  # type: ignore[no-untyped-def]
    _some_real(case, panel_admin["real"])
    case.call_and_validate(
        base_url=f"http://{acme.host}",
        app=app,
        session=panel_admin["browser"],
        headers={"X-CSRFToken": panel_admin["csrf"]},
        checks=CHECKS,
    )
