"""Inputs that used to end as server errors get a clear 4xx: text PostgreSQL cannot store
(NUL, lone surrogates) on every input path, a negative page size, a non-ASCII identity
signature, an oversized JSON body; and the OpenAPI documents declare those answers."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.conversations import selectors
from inboxes.models import Contact, Conversation, Message
from tenants.accounts.models import User
from tenants.organization.models import Branch
from tests.inboxes.conftest import ORIGIN

pytestmark = pytest.mark.django_db

REFUSED = "Text must not contain NUL characters (U+0000) or invalid Unicode."
REFUSED_RU = "Текст не должен содержать символы NUL (U+0000) и недопустимые символы Юникода."
NUL = "\x00"
SURROGATE = "\ud800"  # json.dumps writes it as the escape \ud800, as an attacker would


def _json(data: dict) -> str:
    return json.dumps(data)  # ensure_ascii: NUL → \u0000, a lone surrogate → \ud800


def _assert_refused(response, language: str = "en") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.content
    assert response.json() == {"detail": REFUSED if language == "en" else REFUSED_RU}


@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_a_widget_message_with_unstorable_text_is_400_and_stores_nothing(visitor, bad):
    conversation_id = visitor.start()
    _assert_refused(visitor.send(conversation_id, f"hi{bad}there"))
    with schema_context("co_acme"):
        assert not Message.objects.exists()
    # only the text itself counts, not what looks like its escape
    lookalike = visitor.send(conversation_id, "C:\\u0000 and \\ud800 are plain text")
    assert lookalike.status_code == 201
    assert lookalike.json()["body"] == "C:\\u0000 and \\ud800 are plain text"


REQUEST_ID = "6f1c2a53-0d43-4c8e-9a57-1b2f3e4d5c6b"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("PATCH", "/contact", {"name": f"Ann{NUL}"}),
        ("PATCH", "/contact", {"phone": f"+7{NUL}999"}),
        ("POST", "/identify", {"name": f"Ann{NUL}"}),
        ("POST", "/requests", {"contact": "+7999", "body": f"x{NUL}", "client_id": REQUEST_ID}),
        ("POST", "/requests", {"contact": f"+7{NUL}", "body": "Help", "client_id": REQUEST_ID}),
    ],
    ids=["contact-name", "contact-phone", "identify-name", "request-body", "request-contact"],
)
def test_visitor_details_with_nul_are_400_and_store_nothing(visitor, method, path, payload):
    response = visitor.client.generic(
        method,
        f"/widget/v1{path}",
        _json(payload),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_AUTHORIZATION=f"Bearer {visitor.token}",
    )
    _assert_refused(response)
    with schema_context("co_acme"):
        assert list(Contact.objects.values_list("name", "phone")) == [("", "")]
        assert not Conversation.objects.exists()


def test_a_session_with_nul_in_the_page_url_is_400(inbox):
    response = Client(HTTP_HOST="localhost").post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        _json({"page_url": f"https://shop.example.com/{NUL}"}),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )
    _assert_refused(response)


def test_nul_in_the_public_key_of_the_path_is_400_without_a_token(db):
    response = Client(HTTP_HOST="localhost").get("/widget/v1/inboxes/pk%00x/config")
    _assert_refused(response)


def test_nul_in_a_query_parameter_is_400(acme):
    _assert_refused(acme.login().get("/api/v1/conversations?tab=mine%00"))


def test_nul_in_a_cookie_is_400(inbox):
    client = Client(HTTP_HOST="localhost")
    client.cookies["msid"] = NUL  # sent quoted as "\000", which cookie parsing turns into NUL
    _assert_refused(client.get(f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN=ORIGIN))


def test_the_refusal_is_in_the_widgets_language_not_the_browsers(visitor):
    conversation_id = visitor.start()
    response = visitor.call(
        "post",
        f"/conversations/{conversation_id}/messages",
        {"body": f"a{NUL}", "client_id": str(uuid.uuid4())},
        HTTP_X_WIDGET_LANG="ru",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    _assert_refused(response, language="ru")


def test_a_panel_message_with_nul_is_400_and_stores_nothing(acme, visitor):
    conversation_id = visitor.start()
    response = acme.login().post(
        f"/api/v1/conversations/{conversation_id}/messages",
        _json({"body": f"Hello{NUL}", "client_id": str(uuid.uuid4())}),
        content_type="application/json",
    )
    _assert_refused(response)
    with schema_context("co_acme"):
        assert not Message.objects.exists()


def test_a_branch_named_with_nul_is_refused_by_the_api_and_the_settings_form(acme):
    client = acme.login()
    api = client.post(
        "/api/v1/branches",
        _json({"name": f"Kazan{NUL}", "timezone": "Europe/Moscow"}),
        content_type="application/json",
    )
    _assert_refused(api)
    form = client.post("/settings/branches/", {"name": f"Kazan{NUL}", "timezone": "Europe/Moscow"})
    assert form.status_code == 400
    assert form.content.decode() == REFUSED
    with schema_context("co_acme"):
        assert not Branch.objects.filter(name__startswith="Kazan").exists()


@pytest.mark.parametrize("limit", [-1, 0, 101])
def test_a_page_size_out_of_range_is_422_on_both_apis(acme, visitor, limit):
    conversation_id = visitor.start()
    panel = acme.login()
    for response in (
        panel.get(f"/api/v1/conversations?limit={limit}"),
        panel.get(f"/api/v1/conversations/{conversation_id}/messages?limit={limit}"),
        visitor.call("get", f"/conversations/{conversation_id}/messages?limit={limit}"),
    ):
        assert response.status_code == 422, response.content
        assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_conversation_list_clamps_a_negative_page_size(acme, visitor):
    visitor.start()
    with schema_context("co_acme"):
        admin = User.objects.get(email=acme.admin_email)
        assert len(selectors.conversation_list(user=admin, limit=-1)) == 1


def test_an_identity_signature_with_non_ascii_characters_is_422(visitor):
    response = visitor.call("post", "/identify", {"user_id": "user-42", "user_hash": "подпись"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"user_hash": ["The identity signature does not match."]}


def test_a_40_mib_json_body_is_413(visitor):
    conversation_id = visitor.start()
    body = _json({"body": "x" * (40 * 1024 * 1024), "client_id": str(uuid.uuid4())})
    response = visitor.client.post(
        f"/widget/v1/conversations/{conversation_id}/messages",
        body,
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_AUTHORIZATION=f"Bearer {visitor.token}",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large: at most 1 MB."}
    assert response["Access-Control-Allow-Origin"] == ORIGIN  # the widget can read it


def _operation(document: dict, path: str, method: str) -> dict:
    return document["paths"][path][method]


def test_the_openapi_documents_declare_the_error_answers(acme):
    widget = Client(HTTP_HOST="localhost").get("/widget/v1/openapi.json").json()
    panel = acme.login().get("/api/v1/openapi.json").json()
    send = _operation(widget, "/widget/v1/conversations/{conversation_id}/messages", "post")
    assert set(send["responses"]) == {"200", "201", "400", "401", "403", "404", "413", "422", "429"}
    error = send["responses"]["413"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    config = _operation(widget, "/widget/v1/inboxes/{public_key}/config", "get")
    assert set(config["responses"]) == {"200", "400", "403", "404", "413"}
    listing = _operation(panel, "/api/v1/conversations", "get")
    assert set(listing["responses"]) == {"200", "400", "401", "403", "404", "413", "422"}
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 100)


def test_the_message_schema_refuses_what_the_server_refuses(db):
    widget = Client(HTTP_HOST="localhost").get("/widget/v1/openapi.json").json()
    message = widget["components"]["schemas"]["MessageIn"]
    assert message["properties"]["body"]["maxLength"] == 10_000
    # text that is not only spaces, or files: an empty body alone is not a message
    assert {"required": ["body"], "properties": {"body": {"pattern": r"\S"}}} in message["anyOf"]
    assert {
        "required": ["attachment_ids"],
        "properties": {"attachment_ids": {"minItems": 1}},
    } in message["anyOf"]
