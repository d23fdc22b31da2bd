"""Suspending or deleting a company ends its open sockets at once (panel 4001, widget 4403),
and a frame that still arrives on one is refused and stores nothing.

Each test signs up a company of its own (committed, `live_db`) and deletes it at the end, so no
other test's company is ever suspended.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django_tenants.utils import schema_context

from inboxes.models import Message
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.console.services import StaffAct, company_suspend
from tests.conftest import TenantWorld, _make_company
from tests.inboxes.conftest import make_inbox, visitor_session
from tests.inboxes.test_realtime_consumers import (
    TIMEOUT,
    next_of_type,
    operator_socket,
    visitor_socket,
)


def _run(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    return sync_to_async(fn, thread_sensitive=True)(*args, **kwargs)


@pytest.fixture
def own_companies(live_db) -> Iterator[list[TenantWorld]]:  # type: ignore[no-untyped-def]
    """Two companies of this test's own, deleted afterwards."""
    worlds = [_make_company(f"s{uuid.uuid4().hex[:10]}") for _ in range(2)]
    yield worlds
    for world in worlds:
        if Company.objects.filter(pk=world.company.pk).exists():
            Company.objects.get(pk=world.company.pk).delete(force_drop=True)


@pytest.fixture
def own_company(own_companies: list[TenantWorld]) -> TenantWorld:
    return own_companies[0]


def _sockets_setup(world: TenantWorld) -> dict[str, Any]:
    inbox = make_inbox(world, name="Site")
    visitor = visitor_session(inbox.public_key)
    cookie = world.login("op@example.com").cookies["msid"].value
    return {"token": visitor.token, "conversation_id": visitor.start(), "cookie": cookie}


async def _close_code(socket: WebsocketCommunicator) -> int:
    while True:
        output = await socket.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def _settled(*sockets: WebsocketCommunicator) -> None:
    """Each socket has finished connecting (a socket handles frames one after another)."""
    for socket in sockets:
        await socket.send_json_to({"type": "ping", "t": 1})
        await next_of_type(socket, "pong")


def _staff() -> User:
    email = f"staff-{uuid.uuid4().hex[:8]}@platform.test"
    with schema_context("public"):
        return User.objects.create_superuser(email, "a-long-test-password-42", full_name="Staff")


def _suspend(world: TenantWorld) -> None:
    """What platform staff do from the console (public schema)."""
    with schema_context("public"):
        company_suspend(company=world.company, by=StaffAct(actor=_staff(), reason="Abuse report"))


async def test_suspending_a_company_closes_its_panel_and_widget_sockets_and_refuses_frames(
    own_company: TenantWorld,
) -> None:
    world = own_company
    setup = await _run(_sockets_setup, world)
    operator = operator_socket(world, setup["cookie"])
    visitor = visitor_socket(setup["token"])
    assert (await operator.connect())[0] and (await visitor.connect())[0]
    await _settled(operator, visitor)

    await _run(_suspend, world)
    assert await _close_code(operator) == 4001
    assert await _close_code(visitor) == 4403

    # A frame that still reaches the visitor's consumer is refused, and nothing is stored.
    await visitor.send_json_to(
        {
            "type": "message.send",
            "conversation_id": setup["conversation_id"],
            "body": "after the suspension",
            "client_id": str(uuid.uuid4()),
        }
    )
    refused = json.loads(await visitor.receive_from(timeout=TIMEOUT))
    assert refused["type"] == "error" and refused["code"] == "session_ended"

    def stored() -> int:
        with schema_context(world.company.schema_name):
            return Message.objects.filter(body="after the suspension").count()

    assert await _run(stored) == 0
    await operator.disconnect()
    await visitor.disconnect()


async def test_deleting_a_company_closes_its_open_sockets(own_company: TenantWorld) -> None:
    world = own_company
    setup = await _run(_sockets_setup, world)
    operator = operator_socket(world, setup["cookie"])
    visitor = visitor_socket(setup["token"])
    assert (await operator.connect())[0] and (await visitor.connect())[0]
    await _settled(operator, visitor)

    def delete() -> None:
        Company.objects.get(pk=world.company.pk).delete(force_drop=True)

    await _run(delete)
    assert await _close_code(operator) == 4001
    assert await _close_code(visitor) == 4403
    await operator.disconnect()
    await visitor.disconnect()


async def test_suspending_one_company_leaves_another_companys_sockets_open(
    own_companies: list[TenantWorld],
) -> None:
    own_company, other = own_companies
    setup = await _run(_sockets_setup, other)
    bystander = visitor_socket(setup["token"])
    assert (await bystander.connect())[0]

    await _run(_suspend, own_company)
    # The bystander still answers after the suspension was published: it was not closed.
    await bystander.send_json_to({"type": "ping", "t": 2})
    pong = await next_of_type(bystander, "pong")
    assert pong["t"] == 2
    await bystander.disconnect()
