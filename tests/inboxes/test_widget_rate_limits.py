"""Rate limits of the widget API: 429 with Retry-After and a translated detail for new visitors,
new conversations, offline requests, messages and typing; per visitor, per address, per company.

Every test counts under a cache prefix of its own (tests/conftest.py), so none spends another's
budget. Rates are lowered per test through settings.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.models import Contact, Conversation, Message
from tests.inboxes.conftest import ORIGIN, Visitor, make_inbox, visitor_session

pytestmark = pytest.mark.django_db

NETWORK_EN = (
    "Too many chats are being started from your network. Please try again in a few minutes."
)
NETWORK_RU = "Из вашей сети открывают слишком много чатов. Попробуйте снова через несколько минут."
BUSY_EN = "The chat is receiving too many requests right now. Please try again in a few minutes."
CONVERSATIONS_EN = "You have started too many conversations. Please try again later."
REQUESTS_EN = "You have sent too many requests. Please try again later."
MESSAGES_EN = "You are sending messages too fast. Wait a moment and they will be sent."


def session(key: str, ip: str = "203.0.113.7", token: str | None = None, lang: str = "en"):  # type: ignore[no-untyped-def]
    return Client(HTTP_HOST="localhost").post(
        f"/widget/v1/inboxes/{key}/sessions",
        data={"token": token, "page_url": "https://shop.example.com/"},
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_X_WIDGET_LANG=lang,  # the widget names its language
        REMOTE_ADDR=ip,
    )


def assert_limited(response, detail: str, period: int) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= period
    assert response.json() == {"detail": detail}


def contacts(world) -> int:  # type: ignore[no-untyped-def]
    with schema_context(world.company.schema_name):
        return Contact.objects.count()


def test_new_visitors_past_the_address_limit_get_429_with_retry_after_in_their_language(
    settings, acme, inbox
):
    settings.RATELIMIT_WIDGET_SESSION_IP = "3/m"
    before = contacts(acme)
    first = session(inbox.public_key)
    assert [first.status_code] + [session(inbox.public_key).status_code for _ in range(2)] == [
        200,
        200,
        200,
    ]

    assert_limited(session(inbox.public_key), NETWORK_EN, 60)
    assert_limited(session(inbox.public_key, lang="ru"), NETWORK_RU, 60)
    assert contacts(acme) == before + 3
    # A returning visitor (valid token) is not a new one; another address has its own budget.
    assert session(inbox.public_key, token=first.json()["token"]).status_code == 200
    assert session(inbox.public_key, ip="203.0.113.8").status_code == 200


def test_the_company_limit_caps_new_visitors_from_all_addresses_and_one_address_refused_alone_does_not_spend_it(  # noqa: E501
    settings, globex, inbox
):
    settings.RATELIMIT_WIDGET_SESSION_IP = "1/m"
    settings.RATELIMIT_WIDGET_SESSION_COMPANY = "3/m"
    flood = [session(inbox.public_key, ip="203.0.113.1").status_code for _ in range(5)]
    assert flood == [200, 429, 429, 429, 429]
    assert session(inbox.public_key, ip="203.0.113.2").status_code == 200
    assert session(inbox.public_key, ip="203.0.113.3").status_code == 200

    assert_limited(session(inbox.public_key, ip="203.0.113.4"), BUSY_EN, 60)
    # Another company's visitors count against its own budget.
    other = make_inbox(globex)
    assert session(other.public_key, ip="203.0.113.4").status_code == 200


def test_new_conversations_are_limited_per_address_while_resuming_the_open_one_is_free(
    settings, acme, inbox
):
    settings.RATELIMIT_WIDGET_CONVERSATION_IP = "2/10m"
    first, second, third = (visitor_session(inbox.public_key) for _ in range(3))
    started = first.call("post", "/conversations").json()["id"]
    for _ in range(3):  # the open conversation again, from every tab: not a new one
        assert first.call("post", "/conversations").json()["id"] == started
    assert second.call("post", "/conversations").status_code == 200

    assert_limited(third.call("post", "/conversations"), NETWORK_EN, 600)
    with schema_context(acme.company.schema_name):
        assert Conversation.objects.filter(inbox=inbox).count() == 2
    assert third.call("post", "/conversations", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_new_conversations_are_limited_per_visitor(settings, acme, visitor):
    settings.RATELIMIT_WIDGET_CONVERSATION_VISITOR = "1/h"
    started = visitor.start()
    with schema_context(acme.company.schema_name):
        Conversation.objects.filter(pk=started).update(status=Conversation.Status.CLOSED)

    assert_limited(visitor.call("post", "/conversations"), CONVERSATIONS_EN, 3600)


def test_new_conversations_are_limited_per_company_across_addresses(settings, inbox):
    settings.RATELIMIT_WIDGET_CONVERSATION_COMPANY = "2/m"
    visitors = [visitor_session(inbox.public_key) for _ in range(3)]
    for n, visitor in enumerate(visitors[:2]):
        response = visitor.call("post", "/conversations", REMOTE_ADDR=f"198.51.100.{n + 1}")
        assert response.status_code == 200

    refused = visitors[2].call("post", "/conversations", REMOTE_ADDR="198.51.100.3")
    assert_limited(refused, BUSY_EN, 60)


def offline_request(visitor: Visitor, client_id: str | None = None):  # type: ignore[no-untyped-def]
    body = {"contact": "anna@example.com", "body": "Call me back", "client_id": client_id}
    body["client_id"] = client_id or str(uuid.uuid4())
    return visitor.call("post", "/requests", body)


def test_offline_requests_past_the_limit_get_429_and_store_nothing(settings, acme, visitor):
    settings.RATELIMIT_WIDGET_REQUEST_VISITOR = "2/h"
    assert [offline_request(visitor).status_code for _ in range(2)] == [201, 201]

    assert_limited(offline_request(visitor), REQUESTS_EN, 3600)
    with schema_context(acme.company.schema_name):
        assert Conversation.objects.filter(is_request=True).count() == 2


def test_offline_requests_are_limited_per_address(settings, inbox):
    settings.RATELIMIT_WIDGET_REQUEST_IP = "1/h"
    first, second = visitor_session(inbox.public_key), visitor_session(inbox.public_key)
    assert offline_request(first).status_code == 201

    assert_limited(offline_request(second), NETWORK_EN, 3600)


def test_messages_over_http_past_the_visitor_limit_get_429_and_are_not_stored(
    settings, acme, visitor
):
    settings.RATELIMIT_WIDGET_MESSAGE_VISITOR = "2/m"
    conversation_id = visitor.start()
    assert [visitor.send(conversation_id, f"m{n}").status_code for n in range(2)] == [201, 201]
    refused_id = str(uuid.uuid4())

    assert_limited(visitor.send(conversation_id, "m3", refused_id), MESSAGES_EN, 60)
    with schema_context(acme.company.schema_name):
        assert not Message.objects.filter(client_id=refused_id).exists()
        assert Message.objects.filter(conversation_id=conversation_id).count() == 2


def test_typing_over_http_past_the_visitor_limit_gets_429(settings, visitor):
    settings.RATELIMIT_WIDGET_TYPING_VISITOR = "2/m"
    conversation_id = visitor.start()
    path = f"/conversations/{conversation_id}/typing"
    assert [visitor.call("post", path, {"is_typing": True}).status_code for _ in range(2)] == [
        200,
        200,
    ]

    assert_limited(visitor.call("post", path, {"is_typing": True}), MESSAGES_EN, 60)


def test_limits_let_visitors_through_and_say_so_when_the_counter_store_is_unreachable(
    settings, inbox, caplog
):
    settings.CACHES = {
        **settings.CACHES,
        "unreachable": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        },
    }
    settings.RATELIMIT_USE_CACHE = "unreachable"
    settings.RATELIMIT_WIDGET_SESSION_IP = "1/m"

    assert [session(inbox.public_key).status_code for _ in range(3)] == [200, 200, 200]
    unavailable = [r for r in caplog.records if r.getMessage() == "rate limit counter unavailable"]
    assert [r.ratelimit for r in unavailable] == ["widget.session.ip"] * 3  # type: ignore[attr-defined]


def test_widget_limits_are_off_while_ratelimit_enable_is_off(settings, inbox):
    settings.RATELIMIT_WIDGET_SESSION_IP = "1/m"
    settings.RATELIMIT_ENABLE = False
    assert [session(inbox.public_key).status_code for _ in range(3)] == [200, 200, 200]

    settings.RATELIMIT_ENABLE = True
    assert [session(inbox.public_key).status_code for _ in range(2)] == [200, 429]
