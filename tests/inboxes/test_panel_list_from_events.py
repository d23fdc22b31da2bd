"""State + events = a fresh fetch: an operator's panel list built from its first fetch and the
real-time events its socket received afterwards equals the list fetched again after a series
of actions (create, message, assign, transfer, close). Runs on committed data (`live_db`,
company `initech`): the socket's work runs on other threads.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django_tenants.utils import schema_context

from inboxes.conversations.selectors import PAGE_MAX
from inboxes.routing.operators import operator_status_set
from tenants.accounts.models import User
from tenants.organization.models import Branch
from tests.inboxes.conftest import make_inbox, visitor_session
from tests.inboxes.test_realtime_consumers import TIMEOUT, _operator_cookie, _run, operator_socket

Rows = dict[int, dict[str, Any]]


def _fetch(client, inbox_id: int) -> Rows:  # type: ignore[no-untyped-def]
    """The panel's open list (as the page loads it), this test's inbox only."""
    response = client.get(f"/api/v1/conversations?status=open&limit={PAGE_MAX}")
    assert response.status_code == 200, response.content
    rows = {}
    for row in response.json()["conversations"]:
        if row["inbox_id"] == inbox_id:
            row.pop("unread")  # the reader's own counter: its own event (unread.changed)
            rows[row["id"]] = row
    return rows


def _apply(rows: Rows, frame: dict[str, Any], inbox_id: int) -> None:
    """What the panel does with a frame: a conversation's newest state replaces its row; a
    closed one leaves the open list."""
    kind, payload = frame["type"], frame.get("payload")
    if kind in ("conversation.created", "conversation.updated"):
        conversation = payload
    elif kind == "message.created":
        conversation = payload["conversation"]
    else:
        return
    if conversation["inbox_id"] != inbox_id:
        return
    if conversation["status"] == "closed":
        rows.pop(conversation["id"], None)
    else:
        rows[conversation["id"]] = conversation


def _actions(world, inbox, admin_client, first_id: int) -> None:  # type: ignore[no-untyped-def]
    visitor = visitor_session(inbox.public_key)
    second_id = visitor.start()  # create (and routed)
    assert visitor.send(second_id, "Second chat").status_code == 201  # visitor message
    other = visitor_session(inbox.public_key)
    assert other.send(first_id, "Forbidden").status_code == 404  # not theirs: no event
    base = f"/api/v1/conversations/{first_id}"
    assert admin_client.post(f"{base}/take").status_code == 200  # assign
    assert (
        admin_client.post(
            f"{base}/messages",
            {"body": "Hello from the panel", "client_id": str(uuid.uuid4())},
            content_type="application/json",
        ).status_code
        == 201
    )  # operator message
    with schema_context(world.company.schema_name):
        south = Branch.objects.get(name="South")
    transferred = admin_client.post(
        f"{base}/transfer", {"branch_id": south.pk}, content_type="application/json"
    )
    assert transferred.status_code == 200  # transfer
    assert admin_client.post(f"/api/v1/conversations/{second_id}/close").status_code == 200


def _admin_status(world, status: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """The admin's status; with `status`, set it back (a panel socket opening sets it online,
    which would route the next tests' chats to the admin)."""
    with schema_context(world.company.schema_name):
        admin = User.objects.get(email=world.admin_email)
        if status is not None and admin.status != status:
            operator_status_set(user=admin, status=status)
        return admin.status


async def test_panel_list_from_first_fetch_plus_socket_events_equals_a_fresh_fetch(live_db):
    world = live_db["initech"]
    status_before = await _run(_admin_status, world)
    try:
        await _list_from_events_equals_fresh_fetch(world)
    finally:
        await _run(_admin_status, world, status_before)


async def _list_from_events_equals_fresh_fetch(world) -> None:  # type: ignore[no-untyped-def]
    inbox = await _run(make_inbox, world, name=f"Events {uuid.uuid4().hex[:6]}")
    first = await _run(visitor_session, inbox.public_key)
    first_id = await _run(first.start)
    await _run(first.send, first_id, "First chat")
    admin_client = await _run(world.login)
    socket = operator_socket(world, await _run(_operator_cookie, world, world.admin_email))
    assert (await socket.connect())[0]
    # given the list fetched once the socket listens
    rows = await _run(_fetch, admin_client, inbox.pk)
    assert list(rows) == [first_id]
    # when things happen to the inbox's chats
    await _run(_actions, world, inbox, admin_client, first_id)
    fresh = await _run(_fetch, admin_client, inbox.pk)
    # then the events the socket received bring the first list to the fresh one
    deadline = time.monotonic() + TIMEOUT
    while rows != fresh and time.monotonic() < deadline:
        try:
            text = await socket.receive_from(timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        _apply(rows, json.loads(text), inbox.pk)
    await socket.disconnect()
    assert rows == fresh
    assert len(fresh) == 1 and fresh[first_id]["last_message_preview"] == "Hello from the panel"
