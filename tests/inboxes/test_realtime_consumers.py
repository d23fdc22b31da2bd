"""WebSocket consumers with Channels' communicator and the real Redis pub/sub layer.

These run on committed data (`live_db`, companies `initech` and `umbrella`): consumers do their
ORM work on other threads, which cannot see a test's open transaction.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django_tenants.utils import schema_context

from inboxes.models import Conversation
from inboxes.visitors.tickets import ticket_issue
from messenger.asgi import application
from tests.inboxes.conftest import ORIGIN, make_inbox, visitor_session

TIMEOUT = 5


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    from asgiref.sync import sync_to_async

    return sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)


def _visitor_setup(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    inbox = make_inbox(world, name=f"Site {uuid.uuid4().hex[:6]}")
    visitor = visitor_session(inbox.public_key)
    return {"token": visitor.token, "conversation_id": visitor.start(), "visitor": visitor}


def _operator_cookie(world, email: str = "op@example.com") -> str:  # type: ignore[no-untyped-def]
    client = world.login(email)
    return client.cookies["msid"].value


def visitor_socket(token: str, origin: str = ORIGIN, lang: str = "en") -> WebsocketCommunicator:
    """A visitor socket opened as the widget does: with a one-time ticket for `token`."""
    return WebsocketCommunicator(
        application,
        f"/ws/widget/?ticket={ticket_issue(token)}&lang={lang}",
        headers=[(b"host", b"localhost"), (b"origin", origin.encode())],
    )


def operator_socket(world, cookie: str, origin: str | None = None) -> WebsocketCommunicator:  # type: ignore[no-untyped-def]
    host = world.host.encode()
    return WebsocketCommunicator(
        application,
        "/ws/panel/",
        headers=[
            (b"host", host),
            (b"origin", (origin or f"{settings.PUBLIC_SCHEME}://{world.host}").encode()),
            (b"cookie", f"msid={cookie}".encode()),
        ],
    )


async def _eventually(check, timeout: float = TIMEOUT) -> bool:  # type: ignore[no-untyped-def]
    """Poll `check` (run on a thread) until it is true or `timeout` passes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await _run(check):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def next_of_type(socket: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(await socket.receive_from(timeout=TIMEOUT))
        if frame["type"] == kind:
            return frame


async def test_visitor_message_reaches_operator_socket_live(live_db):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    operator = operator_socket(world, await _run(_operator_cookie, world))
    visitor = visitor_socket(setup["token"])
    assert (await operator.connect())[0] and (await visitor.connect())[0]
    client_id = str(uuid.uuid4())
    await visitor.send_json_to(
        {
            "type": "message.send",
            "conversation_id": setup["conversation_id"],
            "body": "Где мой заказ?",
            "client_id": client_id,
        }
    )
    ack = await next_of_type(visitor, "message.ack")
    event = await next_of_type(operator, "message.created")
    assert ack["payload"]["seq"] == event["payload"]["seq"] == 1
    assert event["payload"]["body"] == "Где мой заказ?"
    assert event["payload"]["client_id"] == client_id
    assert event["payload"]["conversation"]["id"] == setup["conversation_id"]
    await operator.disconnect()
    await visitor.disconnect()


async def test_operator_of_one_company_never_receives_another_companys_events(live_db):
    initech, umbrella = live_db["initech"], live_db["umbrella"]
    setup = await _run(_visitor_setup, initech)
    cookies = [
        await _run(_operator_cookie, umbrella),
        await _run(_operator_cookie, umbrella, umbrella.admin_email),
    ]
    spy, admin_spy = (operator_socket(umbrella, cookie) for cookie in cookies)
    visitor = visitor_socket(setup["token"])
    for socket in (spy, admin_spy, visitor):
        assert (await socket.connect())[0]
    await visitor.send_json_to(
        {
            "type": "message.send",
            "conversation_id": setup["conversation_id"],
            "body": "secret",
            "client_id": str(uuid.uuid4()),
        }
    )
    await next_of_type(visitor, "message.ack")
    # Then each spy sets its own status: events reach a socket in the order they were
    # published, so anything of initech's would have arrived before that one does.
    for socket, email in ((spy, "op@example.com"), (admin_spy, umbrella.admin_email)):
        client = await _run(umbrella.login, email)
        answer = await _run(
            client.post, "/api/v1/routing/status", {"status": "busy"}, "application/json"
        )
        assert answer.status_code == 200
        seen: list[dict[str, Any]] = []
        while True:
            frame = json.loads(await socket.receive_from(timeout=TIMEOUT))
            if frame["type"] == "operator.status" and frame["payload"]["status"] == "busy":
                break
            seen.append(frame)
        await _run(
            client.post, "/api/v1/routing/status", {"status": "online"}, "application/json"
        )  # as it was: the socket set it online
        assert "secret" not in json.dumps(seen)
        assert all(
            frame.get("payload", {}).get("conversation_id") != setup["conversation_id"]
            for frame in seen
        )
    for socket in (spy, admin_spy, visitor):
        await socket.disconnect()


async def test_reconnecting_visitor_gets_missed_messages_in_order_without_duplicates(live_db):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    visitor = visitor_socket(setup["token"])
    await visitor.connect()
    for n in range(1, 4):
        await visitor.send_json_to(
            {
                "type": "message.send",
                "conversation_id": setup["conversation_id"],
                "body": f"m{n}",
                "client_id": str(uuid.uuid4()),
            }
        )
        await next_of_type(visitor, "message.ack")
    await visitor.disconnect()
    # while the visitor is away, the operator answers twice over HTTP
    operator_http = await _run(world.login)
    for text in ("answer 1", "answer 2"):
        response = await _run(
            operator_http.post,
            f"/api/v1/conversations/{setup['conversation_id']}/messages",
            {"body": text, "client_id": str(uuid.uuid4())},
            content_type="application/json",
        )
        assert response.status_code == 201
    # the visitor comes back knowing seq 2 (it missed its own 3rd ack, say)
    again = visitor_socket(setup["token"])
    await again.connect()
    await again.send_json_to(
        {"type": "resume", "conversation_id": setup["conversation_id"], "after": 2}
    )
    missed = await next_of_type(again, "messages")
    assert [(m["seq"], m["body"]) for m in missed["payload"]] == [
        (3, "m3"),
        (4, "answer 1"),
        (5, "answer 2"),
    ]
    await again.disconnect()


async def test_resume_answer_carries_receipts_sent_before_the_socket_joined(live_db):
    """A first message goes out over HTTP while the widget's socket is still connecting; an
    operator's screen acks it at once. The visitor's resume must bring that tick along."""
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    await _run(setup["visitor"].send, setup["conversation_id"], "first, over HTTP")
    operator_http = await _run(world.login)
    response = await _run(
        operator_http.post,
        f"/api/v1/conversations/{setup['conversation_id']}/receipts",
        {"delivered_seq": 1},
        content_type="application/json",
    )
    assert response.status_code == 200
    visitor = visitor_socket(setup["token"])
    assert (await visitor.connect())[0]
    await visitor.send_json_to(
        {"type": "resume", "conversation_id": setup["conversation_id"], "after": 1}
    )
    answer = await next_of_type(visitor, "messages")
    assert answer["payload"] == []
    assert answer["receipts"]["conversation_id"] == setup["conversation_id"]
    assert answer["receipts"]["operator_delivered_seq"] == 1
    assert answer["receipts"]["operator_read_seq"] == 0
    await visitor.disconnect()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": "launch.missiles"}', "unknown_type"),
        (
            '{"type": "message.send", "conversation_id": "1", "body": "x", "client_id": "y"}',
            "bad_frame",
        ),
        (
            '{"type": "message.send", "conversation_id": 999999, "body": "x", '
            '"client_id": "6f1b7c1e-2a52-4d7e-9a49-6b1b7a0f7f01"}',
            "not_found",
        ),
        ('{"type": "resume", "conversation_id": 1, "after": "zero"}', "bad_frame"),
    ],
)
async def test_malformed_frames_get_an_error_frame_and_the_socket_stays_open(live_db, raw, code):
    setup = await _run(_visitor_setup, live_db["initech"])
    visitor = visitor_socket(setup["token"])
    await visitor.connect()
    await visitor.send_to(text_data=raw)
    error = await next_of_type(visitor, "error")
    assert error["code"] == code
    await visitor.send_json_to({"type": "ping", "t": 1})
    assert (await next_of_type(visitor, "pong"))["t"] == 1
    await visitor.disconnect()


async def test_empty_or_oversized_message_over_the_socket_is_refused_and_not_stored(live_db):
    setup = await _run(_visitor_setup, live_db["initech"])
    visitor = visitor_socket(setup["token"])
    await visitor.connect()
    for body in ("   ", "z" * 10_001):
        await visitor.send_json_to(
            {
                "type": "message.send",
                "conversation_id": setup["conversation_id"],
                "body": body,
                "client_id": str(uuid.uuid4()),
            }
        )
        error = await next_of_type(visitor, "error")
        assert error["code"] == "invalid" and "body" in error["detail"]
    await visitor.send_to(text_data="x" * 70_000)
    assert (await next_of_type(visitor, "error"))["code"] == "bad_frame"

    def stored() -> int:
        with schema_context("co_initech"):
            return Conversation.objects.get(pk=setup["conversation_id"]).last_seq

    assert await _run(stored) == 0
    await visitor.disconnect()


@pytest.mark.parametrize("side", ["visitor", "operator"])
@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"], ids=["nul", "surrogate"])
async def test_text_postgres_cannot_store_gets_an_error_frame_and_the_socket_stays_open(
    live_db, side, bad
):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    if side == "visitor":
        socket = visitor_socket(setup["token"])
    else:
        socket = operator_socket(world, await _run(_operator_cookie, world))
    assert (await socket.connect())[0]
    client_id = str(uuid.uuid4())
    conversation_id = setup["conversation_id"]
    await socket.send_to(  # the escape as JSON carries it
        text_data=f'{{"type": "message.send", "conversation_id": {conversation_id}, '
        f'"body": "a{bad}b", "client_id": "{client_id}"}}'
    )
    error = await next_of_type(socket, "error")
    assert error == {
        "type": "error",
        "code": "invalid",
        "detail": "Text must not contain NUL characters (U+0000) or invalid Unicode.",
        "ref": client_id,
    }
    await socket.send_json_to({"type": "ping", "t": 1})
    assert (await next_of_type(socket, "pong"))["t"] == 1

    def stored() -> int:
        with schema_context("co_initech"):
            return Conversation.objects.get(pk=conversation_id).last_seq

    assert await _run(stored) == 0
    await socket.disconnect()


async def test_visitor_socket_from_a_foreign_origin_or_with_a_bad_token_is_refused(live_db):
    setup = await _run(_visitor_setup, live_db["initech"])
    foreign = visitor_socket(setup["token"], origin="https://evil.test")
    connected, code = await foreign.connect()
    assert not connected and code == 4403
    forged = visitor_socket(setup["token"][:-3] + "abc")
    connected, code = await forged.connect()
    assert not connected and code == 4401


async def test_operator_socket_needs_a_session_of_that_company_and_its_own_origin(live_db):
    initech, umbrella = live_db["initech"], live_db["umbrella"]
    cookie = await _run(_operator_cookie, initech)
    assert (await operator_socket(initech, "no-such-session").connect()) == (False, 4401)
    assert (await operator_socket(umbrella, cookie).connect()) == (False, 4401)
    cross_site = operator_socket(initech, cookie, origin="https://evil.test")
    assert (await cross_site.connect()) == (False, 4401)
    # The same host name with another scheme or port is another origin (another site).
    for origin in (
        f"{settings.PUBLIC_SCHEME}://{initech.host}:9999",
        f"ftp://{initech.host}",
        f"{'http' if settings.PUBLIC_SCHEME == 'https' else 'https'}://{initech.host}",
    ):
        other = operator_socket(initech, cookie, origin=origin)
        assert (await other.connect()) == (False, 4401), origin
    ok = operator_socket(initech, cookie)
    assert (await ok.connect())[0]
    await ok.disconnect()


async def test_visitor_typing_reaches_operators_and_is_throttled(live_db):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    operator = operator_socket(world, await _run(_operator_cookie, world))
    visitor = visitor_socket(setup["token"])
    await operator.connect()
    await visitor.connect()
    for _ in range(5):
        await visitor.send_json_to(
            {"type": "typing", "conversation_id": setup["conversation_id"], "is_typing": True}
        )
    first = await next_of_type(operator, "typing")
    assert first["payload"] == {
        "conversation_id": setup["conversation_id"],
        "side": "visitor",
        "is_typing": True,
        "name": "",
    }
    assert await operator.receive_nothing(timeout=0.4)  # the 4 others were within 1 s
    await visitor.send_json_to(
        {"type": "typing", "conversation_id": setup["conversation_id"], "is_typing": False}
    )
    assert (await next_of_type(operator, "typing"))["payload"]["is_typing"] is False
    await operator.disconnect()
    await visitor.disconnect()


async def test_operator_reply_and_read_receipts_reach_the_visitor_as_ticks(live_db):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    operator = operator_socket(world, await _run(_operator_cookie, world))
    visitor = visitor_socket(setup["token"])
    await operator.connect()
    await visitor.connect()
    conversation_id = setup["conversation_id"]
    await visitor.send_json_to(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "body": "hello",
            "client_id": str(uuid.uuid4()),
        }
    )
    await next_of_type(operator, "message.created")
    # operator reads it → the visitor sees two ticks on message 1
    await operator.send_json_to(
        {"type": "receipts", "conversation_id": conversation_id, "read_seq": 1}
    )
    receipts = await next_of_type(visitor, "message.receipts")
    assert receipts["payload"]["operator_read_seq"] == 1
    assert receipts["payload"]["operator_delivered_seq"] == 1
    # operator replies (taking the chat) → the visitor gets it; delivered, then read
    await operator.send_json_to(
        {
            "type": "message.send",
            "conversation_id": conversation_id,
            "body": "Hi, how can I help?",
            "client_id": str(uuid.uuid4()),
        }
    )
    reply = await next_of_type(visitor, "message.created")
    assert reply["payload"]["sender_type"] == "operator"
    assert reply["payload"]["sender_name"] == "Olga Operator"
    await visitor.send_json_to(
        {"type": "receipts", "conversation_id": conversation_id, "delivered_seq": 2}
    )
    delivered = await next_of_type(operator, "message.receipts")
    while delivered["payload"]["visitor_delivered_seq"] < 2:  # skip the earlier tick events
        delivered = await next_of_type(operator, "message.receipts")
    assert (
        delivered["payload"]["visitor_delivered_seq"],
        delivered["payload"]["visitor_read_seq"],
    ) == (2, 0)
    await visitor.send_json_to(
        {"type": "receipts", "conversation_id": conversation_id, "read_seq": 2}
    )
    read = await next_of_type(operator, "message.receipts")
    assert read["payload"]["visitor_read_seq"] == 2
    await operator.disconnect()
    await visitor.disconnect()


async def test_reading_in_one_tab_updates_unread_in_the_users_other_tabs(live_db):
    world = live_db["initech"]
    setup = await _run(_visitor_setup, world)
    await _run(setup["visitor"].send, setup["conversation_id"], "unread one")
    cookie = await _run(_operator_cookie, world)
    tab_a, tab_b = operator_socket(world, cookie), operator_socket(world, cookie)
    await tab_a.connect()
    await tab_b.connect()
    await tab_a.send_json_to(
        {"type": "receipts", "conversation_id": setup["conversation_id"], "read_seq": 1}
    )
    for tab in (tab_a, tab_b):
        changed = await next_of_type(tab, "unread.changed")
        assert changed["payload"]["conversations"] == {str(setup["conversation_id"]): 0}
    await tab_a.disconnect()
    await tab_b.disconnect()


async def test_deactivating_an_operator_closes_their_open_socket(live_db):
    world = live_db["initech"]

    def make_person() -> tuple[str, int]:
        from tenants.organization.services import operator_create

        with schema_context("co_initech"):
            person = operator_create(
                email=f"temp{uuid.uuid4().hex[:6]}@example.com",
                full_name="Temp",
                password="a-long-test-password-42",
                role="operator",
            )
        return _operator_cookie(world, person.email), person.pk

    cookie, person_id = await _run(make_person)
    socket = operator_socket(world, cookie)
    assert (await socket.connect())[0]

    def deactivate() -> None:
        from tenants.accounts.models import User
        from tenants.organization.services import operator_deactivate

        with schema_context("co_initech"):
            admin = User.objects.get(email=world.admin_email)
            operator_deactivate(user=User.objects.get(pk=person_id), actor=admin)

    await _run(deactivate)
    closed = await socket.receive_output(timeout=TIMEOUT)
    while closed["type"] != "websocket.close":
        closed = await socket.receive_output(timeout=TIMEOUT)
    assert closed["code"] == 4001


async def test_operator_presence_is_tracked_per_socket(live_db):
    from inboxes.presence import user_online

    world = live_db["initech"]

    def make_person() -> tuple[str, int]:
        from tenants.organization.services import operator_create

        with schema_context("co_initech"):
            person = operator_create(
                email=f"p{uuid.uuid4().hex[:6]}@example.com",
                full_name="Presence",
                password="a-long-test-password-42",
                role="operator",
            )
        return _operator_cookie(world, person.email), person.pk

    cookie, user_id = await _run(make_person)
    socket = operator_socket(world, cookie)
    await socket.connect()
    assert await _eventually(lambda: user_online(schema_name="co_initech", user_id=user_id))
    await socket.disconnect()
    assert await _eventually(lambda: not user_online(schema_name="co_initech", user_id=user_id))


def test_visitor_event_stream_falls_back_to_sse(live_db):
    """The same events over Server-Sent Events, with missed messages replayed first."""
    import threading

    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator

    setup = _visitor_setup(live_db["initech"])
    visitor = setup["visitor"]
    visitor.send(setup["conversation_id"], "before the stream")

    async def read_stream() -> str:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/widget/v1/events",
            "query_string": (
                f"ticket={ticket_issue(setup['token'])}"
                f"&conversation_id={setup['conversation_id']}&after=0"
            ).encode(),
            "headers": [(b"host", b"localhost"), (b"origin", ORIGIN.encode())],
            "scheme": "http",
            "server": ("localhost", 80),
            "client": ("127.0.0.1", 1),
        }
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        start = await communicator.receive_output(timeout=TIMEOUT)
        assert start["status"] == 200
        text = ""
        threading.Timer(0.5, lambda: visitor.send(setup["conversation_id"], "live")).start()
        while '"body": "live"' not in text:
            chunk = await communicator.receive_output(timeout=TIMEOUT)
            text += chunk.get("body", b"").decode()
        await communicator.send_input({"type": "http.disconnect"})
        return text

    text = async_to_sync(read_stream)()
    assert "event: message.created" in text
    assert text.index("before the stream") < text.index('"body": "live"')
    assert "id: 1\n" in text
    # where the receipts stand comes with the replay (ticks missed while away)
    replay = text[: text.index('"body": "live"')]
    assert "event: message.receipts" in replay
    assert '"operator_delivered_seq": 0' in replay


@pytest.fixture
def own_redis():  # type: ignore[no-untyped-def]
    """Channel layer, presence and cache on a Redis server of this test's own, to stop."""
    from django.conf import settings
    from django.test import override_settings

    from messenger.redis_keys import redis_client
    from tests.redis_server import RedisServer

    server = RedisServer()
    server.start()
    layers = {
        "default": {
            "BACKEND": settings.CHANNEL_LAYERS["default"]["BACKEND"],  # the product's layer
            "CONFIG": {"hosts": [server.url], "prefix": "outage"},
        }
    }
    redis_client.cache_clear()
    with override_settings(CHANNEL_LAYERS=layers, REDIS_URL=server.url):
        yield server
    redis_client.cache_clear()
    server.close()


async def test_operator_sockets_open_and_answer_pings_while_redis_is_down_then_resync(
    live_db, own_redis
):
    from messenger.realtime import group, publish

    world = live_db["initech"]
    cookie = await _run(_operator_cookie, world, "op@example.com")
    before = operator_socket(world, cookie)
    assert (await before.connect())[0]

    await asyncio.to_thread(own_redis.stop)
    # A ping refreshes presence in Redis: it fails, the socket stays and answers.
    await before.send_json_to({"type": "ping", "t": 1})
    assert (await next_of_type(before, "pong"))["t"] == 1
    # A socket opened now is accepted (degraded: it can send, not yet hear).
    during = operator_socket(world, cookie)
    assert (await during.connect())[0]

    await asyncio.to_thread(own_redis.start)
    # Both are told to catch up, and both hear their groups again.
    await next_of_type(before, "resync")
    await next_of_type(during, "resync")
    user_id = await _run(_user_id, world, "op@example.com")
    publish("test.after", {"n": 1}, to=[group("user", user_id, schema_name="co_initech")])

    assert (await next_of_type(before, "test.after"))["payload"] == {"n": 1}
    assert (await next_of_type(during, "test.after"))["payload"] == {"n": 1}
    await before.disconnect()
    await during.disconnect()


def _user_id(world, email: str) -> int:  # type: ignore[no-untyped-def]
    from tenants.accounts.models import User

    with schema_context(world.company.schema_name):
        return User.objects.get(email=email).pk


@pytest.mark.parametrize(
    ("lang", "refusal"),
    [
        ("en", "The message is longer than 10000 characters."),
        ("ru", "Сообщение слишком длинное: максимум 10000 симв."),
    ],
)
async def test_a_message_over_the_limit_is_refused_in_the_widgets_language(live_db, lang, refusal):
    setup = await _run(_visitor_setup, live_db["initech"])
    visitor = visitor_socket(setup["token"], lang=lang)
    assert (await visitor.connect())[0]
    client_id = str(uuid.uuid4())
    await visitor.send_json_to(
        {
            "type": "message.send",
            "conversation_id": setup["conversation_id"],
            "body": "x" * 10_001,
            "client_id": client_id,
        }
    )
    error = await next_of_type(visitor, "error")
    assert error == {
        "type": "error",
        "code": "invalid",
        "detail": {"body": [refusal]},
        "ref": client_id,
    }
    await visitor.disconnect()
