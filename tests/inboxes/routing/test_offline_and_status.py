"""Offline mode in the widget API, operator status over the panel API, presence grace."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes import presence
from inboxes.models import Conversation
from inboxes.routing import services
from messenger.kernel.deadlines import deadlines_fire_due
from tenants.accounts.models import User
from tests.inboxes.conftest import visitor_session

pytestmark = pytest.mark.django_db


def test_the_session_says_nobody_is_online_and_carries_the_offline_texts(acme):
    from inboxes.services import inbox_create

    with schema_context("co_acme"):
        User.objects.update(status="offline")
        inbox = inbox_create(name="Site", allowed_domains=["shop.example.com"])
    response = visitor_session(inbox.public_key).client.post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        data={},
        content_type="application/json",
        HTTP_ORIGIN="https://shop.example.com",
    )
    body = response.json()
    assert body["availability"]["online"] is False
    assert body["inbox"]["offline_title"]["ru"] == "Сейчас никого нет на месте"
    assert body["inbox"]["offline_message"]["en"].startswith("Leave a request")


def test_an_online_operator_makes_the_widget_available(acme):
    from inboxes.services import inbox_create

    with schema_context("co_acme"):
        User.objects.filter(role="admin").update(status="online")  # admin is in the default
        inbox = inbox_create(name="Site", allowed_domains=["shop.example.com"])
    session = visitor_session(inbox.public_key)
    response = session.client.post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        data={},
        content_type="application/json",
        HTTP_ORIGIN="https://shop.example.com",
    )
    assert response.json()["availability"]["online"] is True


def test_an_offline_request_is_saved_as_a_request_conversation(visitor):
    response = visitor.call(
        "post",
        "/requests",
        {
            "name": "Ann",
            "contact": "ann@example.com",
            "body": "Call me back",
            "client_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 201
    with schema_context("co_acme"):
        request = Conversation.objects.get(pk=response.json()["id"])
        assert request.is_request and request.status == "pending"
        assert request.contact.email == "ann@example.com" and request.contact.name == "Ann"
        assert request.messages.get().body == "Call me back"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "contact": "", "body": "hi"}, "contact"),
        ({"name": "A", "contact": "a@b.c", "body": "  "}, "body"),
        ({"name": "A", "contact": "not-an-email@", "body": "hi"}, "contact"),
    ],
)
def test_a_bad_offline_request_is_refused_and_stores_nothing(visitor, payload, field):
    response = visitor.call("post", "/requests", {**payload, "client_id": str(uuid.uuid4())})
    assert response.status_code == 422
    assert field in response.json()["detail"]
    with schema_context("co_acme"):
        assert not Conversation.objects.filter(is_request=True).exists()


def test_an_operator_sets_their_own_status(acme):
    client = acme.login("op@example.com")
    response = client.post(
        "/api/v1/routing/status", {"status": "busy"}, content_type="application/json"
    )
    assert response.json() == {"status": "busy"}
    bad = client.post(
        "/api/v1/routing/status", {"status": "asleep"}, content_type="application/json"
    )
    assert bad.status_code == 422
    with schema_context("co_acme"):
        assert User.objects.get(email="op@example.com").status == "busy"


def test_with_all_sockets_gone_past_the_grace_an_operator_goes_offline(acme):
    with schema_context("co_acme"):
        user = User.objects.get(email="op@example.com")
        services.operator_status_set(user=user, status="online")
        presence.presence_gone(user_id=user.pk)
        deadlines_fire_due(now=timezone.now() + timedelta(seconds=5))
        assert User.objects.get(pk=user.pk).status == "online"  # still within the grace
        deadlines_fire_due(now=timezone.now() + timedelta(seconds=120))
        assert User.objects.get(pk=user.pk).status == "offline"


def test_the_panel_shows_why_a_chat_landed_and_its_assignment_history(acme):
    from inboxes.conversations import services as conversations
    from inboxes.services import inbox_create

    with schema_context("co_acme"):
        User.objects.filter(role="admin").update(status="online")
        inbox = inbox_create(name="Site", allowed_domains=["shop.example.com"])
        contact = conversations.contact_create()
        chat, _ = conversations.conversation_start(inbox=inbox, contact=contact)
    client = acme.login()
    row = client.get(f"/api/v1/conversations/{chat.pk}").json()
    assert row["routing_reason"].startswith("Region unknown → default branch")
    history = client.get(f"/api/v1/conversations/{chat.pk}/assignments").json()
    assert [(h["reason"], h["assignee"]) for h in history] == [("routing", "Admin Acme")]
