"""The widget API: sessions, conversations, idempotent messages, history, receipts, origins."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.models import Contact, Conversation, Message
from tests.inboxes.conftest import ORIGIN, make_inbox, visitor_session

pytestmark = pytest.mark.django_db


def test_config_is_served_for_an_allowed_origin_and_resolved_by_key_not_host(inbox):
    client = Client(HTTP_HOST="localhost")
    response = client.get(f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response.json()["name"] == "Website"
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_unknown_or_disabled_inbox_key_is_404(acme, inbox):
    client = Client(HTTP_HOST="localhost")
    assert client.get("/widget/v1/inboxes/pk_nope/config", HTTP_ORIGIN=ORIGIN).status_code == 404
    with schema_context(acme.company.schema_name):
        type(inbox).objects.filter(pk=inbox.pk).update(is_active=False)
    response = client.get(f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://shop.example.com", True),
        ("https://a.b.example.org", True),
        ("https://example.org", False),  # the wildcard is for subdomains only
        ("https://shop.example.com.evil.com", False),
        ("https://evilexample.org", False),
        ("https://example.org.evil.com", False),
        ("null", False),
        ("", False),
    ],
)
def test_inbox_allowlist_is_enforced_by_origin(inbox, origin, allowed):
    client = Client(HTTP_HOST="localhost")
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    response = client.post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        data={},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == (200 if allowed else 403)


def test_referer_is_used_when_there_is_no_origin(inbox):
    client = Client(HTTP_HOST="localhost")
    ok = client.get(
        f"/widget/v1/inboxes/{inbox.public_key}/config",
        HTTP_REFERER="https://shop.example.com/page?x=1",
    )
    bad = client.get(
        f"/widget/v1/inboxes/{inbox.public_key}/config",
        HTTP_REFERER="https://evil.test/shop.example.com",
    )
    assert (ok.status_code, bad.status_code) == (200, 403)


def test_a_token_used_from_a_foreign_origin_is_refused_and_stores_nothing(visitor):
    conversation_id = visitor.start()
    response = visitor.call(
        "post",
        f"/conversations/{conversation_id}/messages",
        {"body": "hi", "client_id": str(uuid.uuid4())},
        HTTP_ORIGIN="https://evil.test",
    )
    assert response.status_code == 403
    with schema_context("co_acme"):
        assert not Message.objects.exists()


def test_session_is_resumed_with_a_valid_token_and_new_without(inbox, visitor):
    again = visitor_session(inbox.public_key, token=visitor.token)
    fresh = visitor_session(inbox.public_key)
    with schema_context("co_acme"):
        assert Contact.objects.count() == 2
    from inboxes.visitors.tokens import visitor_token_read

    assert (
        visitor_token_read(again.token).contact_id == visitor_token_read(visitor.token).contact_id
    )
    assert (
        visitor_token_read(fresh.token).contact_id != visitor_token_read(visitor.token).contact_id
    )


def test_a_forged_or_expired_token_is_401(visitor, inbox):
    visitor.token = visitor.token[:-2] + "xx"
    assert visitor.call("post", "/conversations").status_code == 401


def test_starting_twice_resumes_the_open_conversation(visitor):
    assert visitor.start() == visitor.start()


def test_a_retried_message_with_the_same_client_id_is_stored_once(visitor):
    conversation_id = visitor.start()
    client_id = str(uuid.uuid4())
    first = visitor.send(conversation_id, "Hello", client_id)
    retry = visitor.send(conversation_id, "Hello", client_id)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json() == retry.json()
    with schema_context("co_acme"):
        assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "The message is empty."),
        ("   \n ", "The message is empty."),
        ("x" * 10_001, "The message is longer than 10000 characters."),
    ],
)
def test_empty_or_oversized_message_is_422_with_a_clear_error(visitor, body, error):
    conversation_id = visitor.start()
    response = visitor.send(conversation_id, body)
    assert response.status_code == 422
    assert response.json()["detail"]["body"] == [error]
    with schema_context("co_acme"):
        assert not Message.objects.exists()


def test_a_message_of_exactly_10000_characters_is_accepted(visitor):
    assert visitor.send(visitor.start(), "y" * 10_000).status_code == 201


def test_history_pages_by_sequence_number(visitor):
    conversation_id = visitor.start()
    for n in range(1, 8):
        visitor.send(conversation_id, f"m{n}")
    latest = visitor.call("get", f"/conversations/{conversation_id}/messages?limit=3").json()
    assert [m["seq"] for m in latest["messages"]] == [5, 6, 7]
    older = visitor.call("get", f"/conversations/{conversation_id}/messages?before=5&limit=3")
    assert [m["seq"] for m in older.json()["messages"]] == [2, 3, 4]
    missed = visitor.call("get", f"/conversations/{conversation_id}/messages?after=5")
    assert [m["body"] for m in missed.json()["messages"]] == ["m6", "m7"]


def test_a_visitor_token_never_reads_another_visitors_conversation(inbox, visitor):
    other = visitor_session(inbox.public_key)
    theirs = other.start()
    other.send(theirs, "private")
    assert visitor.call("get", f"/conversations/{theirs}/messages").status_code == 404
    assert visitor.send(theirs, "intrusion").status_code == 404


def test_a_token_of_one_company_is_useless_with_another_companys_key(acme, globex, visitor):
    globex_inbox = make_inbox(globex)
    response = Client(HTTP_HOST="localhost").post(
        f"/widget/v1/inboxes/{globex_inbox.public_key}/sessions",
        data={"token": visitor.token},
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )
    from inboxes.visitors.tokens import visitor_token_read

    claims = visitor_token_read(response.json()["token"])
    assert claims.schema_name == "co_globex"
    with schema_context("co_globex"):
        assert Contact.objects.filter(pk=claims.contact_id).exists()


def test_visitor_read_receipt_marks_operator_messages_read(acme, visitor):
    from inboxes.conversations.services import message_create
    from tenants.accounts.models import User

    conversation_id = visitor.start()
    with schema_context("co_acme"):
        conversation = Conversation.objects.get(pk=conversation_id)
        operator = User.objects.get(email="op@example.com")
        message_create(
            conversation=conversation,
            sender_type="operator",
            body="Hi!",
            client_id=None,
            sender_user=operator,
        )
    response = visitor.call("post", f"/conversations/{conversation_id}/receipts", {"read_seq": 99})
    assert response.json()["visitor_read_seq"] == 1  # clamped to the last message
    assert response.json()["visitor_delivered_seq"] == 1
    with schema_context("co_acme"):
        assert Message.objects.get().read_at is not None


def test_contact_details_are_validated_and_stored_as_given(visitor):
    bad = visitor.call("patch", "/contact", {"email": "nope"})
    assert bad.status_code == 422
    ok = visitor.call("patch", "/contact", {"name": "<b>Ann</b>", "email": "ann@example.com"})
    assert ok.json()["name"] == "<b>Ann</b>"


def test_suspended_company_widget_answers_with_a_clear_message(acme, inbox):
    from tenants.companies.models import Company

    Company.objects.filter(pk=acme.company.pk).update(status="suspended")
    response = Client(HTTP_HOST="localhost").get(
        f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "This chat is temporarily unavailable."


def test_preflight_is_answered_for_the_widget(inbox):
    response = Client(HTTP_HOST="localhost").options(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert response.status_code == 204
    assert "Authorization" in response["Access-Control-Allow-Headers"]


def test_the_widget_api_publishes_its_openapi_document(db):
    response = Client(HTTP_HOST="localhost").get("/widget/v1/openapi.json")
    assert response.status_code == 200
    assert "/widget/v1/conversations/{conversation_id}/messages" in response.json()["paths"]
