"""A visitor's token never travels in a URL: sockets and event streams open with a one-time
ticket. A visitor's sessions can be ended: their tokens stop working and open sockets close.

Socket tests run on committed data (`live_db`, company `initech`), as the consumers do their ORM
work on other threads.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.models import Contact, Conversation
from inboxes.visitors.access import visitor_sessions_end
from inboxes.visitors.tokens import visitor_token_read
from messenger.asgi import application
from tenants.accounts.models import User
from tests.conftest import OPERATOR_EMAIL
from tests.inboxes.conftest import ORIGIN, make_inbox, visitor_session
from tests.inboxes.test_realtime_consumers import TIMEOUT, next_of_type, visitor_socket


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    return sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)


def _raw_socket(query: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/widget/?{query}",
        headers=[(b"host", b"localhost"), (b"origin", ORIGIN.encode())],
    )


def _setup(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    inbox = make_inbox(world, name=f"Site {uuid.uuid4().hex[:6]}")
    visitor = visitor_session(inbox.public_key)
    return {"visitor": visitor, "conversation_id": visitor.start(), "key": inbox.public_key}


def _ticket(visitor) -> str:  # type: ignore[no-untyped-def]
    response = visitor.call("post", "/tickets")
    assert response.status_code == 201, response.content
    return str(response.json()["ticket"])


async def test_a_socket_opens_with_a_ticket_once_and_never_with_the_token_in_the_url(live_db):
    setup = await _run(_setup, live_db["initech"])
    visitor = setup["visitor"]
    ticket = await _run(_ticket, visitor)
    assert visitor.token not in ticket

    first = _raw_socket(f"ticket={ticket}")
    assert (await first.connect())[0]
    await first.send_json_to({"type": "ping", "t": 1})
    await next_of_type(first, "pong")
    # The same ticket again: spent.
    assert (await _raw_socket(f"ticket={ticket}").connect()) == (False, 4401)
    # A made-up ticket, and the token itself in the URL, open nothing.
    assert (await _raw_socket("ticket=not-a-ticket").connect()) == (False, 4401)
    assert (await _raw_socket(f"token={visitor.token}").connect()) == (False, 4401)
    await first.disconnect()


@pytest.mark.django_db
def test_a_ticket_needs_a_valid_visitor_token(acme):  # type: ignore[no-untyped-def]
    response = Client(HTTP_HOST="localhost").post(
        "/widget/v1/tickets", HTTP_AUTHORIZATION="Bearer forged", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 401


async def test_ending_a_visitors_sessions_closes_their_socket_and_refuses_their_token(live_db):
    world = live_db["initech"]
    setup = await _run(_setup, world)
    visitor = setup["visitor"]
    socket = visitor_socket(visitor.token)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "ping", "t": 1})
    await next_of_type(socket, "pong")

    def end() -> int:
        with schema_context(world.company.schema_name):
            conversation = Conversation.objects.get(pk=setup["conversation_id"])
            admin = User.objects.get(email=world.admin_email)
            visitor_sessions_end(contact=conversation.contact, actor=admin)
            return conversation.contact_id

    contact_id = await _run(end)
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            assert output["code"] == 4403
            break

    def after() -> dict[str, Any]:
        history = visitor.call("get", f"/conversations/{setup['conversation_id']}/messages")
        ticket = visitor.call("post", "/tickets")
        again = visitor_session(setup["key"], token=visitor.token)
        return {
            "history": history.status_code,
            "ticket": ticket.status_code,
            "new_contact": visitor_token_read(again.token).contact_id,  # type: ignore[union-attr]
        }

    result = await _run(after)
    assert result["history"] == 401
    assert result["ticket"] == 401
    # Coming back with the ended token starts a new, anonymous visitor.
    assert result["new_contact"] != contact_id


@pytest.mark.django_db
def test_only_supervisors_and_admins_can_end_a_visitors_sessions(acme):  # type: ignore[no-untyped-def]
    inbox = make_inbox(acme, name="Shop")
    visitor = visitor_session(inbox.public_key)
    conversation_id = visitor.start()
    path = f"/api/v1/conversations/{conversation_id}/end-visitor-sessions"

    with schema_context(acme.company.schema_name):
        operator = User.objects.get(email=OPERATOR_EMAIL)
        conversation = Conversation.objects.get(pk=conversation_id)
        conversation.assignee = operator
        conversation.save(update_fields=["assignee"])
    refused = acme.login(OPERATOR_EMAIL).post(path)
    assert refused.status_code == 403
    assert "supervisors and admins" in refused.json()["detail"]
    with schema_context(acme.company.schema_name):
        assert Contact.objects.get(pk=conversation.contact_id).sessions_ended_at is None

    assert acme.login().post(path).status_code == 200
    with schema_context(acme.company.schema_name):
        assert Contact.objects.get(pk=conversation.contact_id).sessions_ended_at is not None
    assert visitor.call("get", f"/conversations/{conversation_id}/messages").status_code == 401
