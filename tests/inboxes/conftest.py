"""Fixtures for conversations: an inbox, a visitor session, helpers to call the widget API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from inboxes.models import Inbox
from inboxes.services import inbox_create

ORIGIN = "https://shop.example.com"


@dataclass
class Visitor:
    client: Client
    token: str
    key: str

    def call(self, method: str, path: str, data: dict | None = None, **headers: str):  # type: ignore[no-untyped-def]
        headers.setdefault("HTTP_ORIGIN", ORIGIN)
        headers.setdefault("HTTP_X_WIDGET_LANG", "en")  # as the widget does, in its language
        return getattr(self.client, method)(
            f"/widget/v1{path}",
            data=data,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
            **headers,
        )

    def start(self) -> int:
        return self.call("post", "/conversations").json()["id"]

    def send(self, conversation_id: int, body: str, client_id: str | None = None):  # type: ignore[no-untyped-def]
        return self.call(
            "post",
            f"/conversations/{conversation_id}/messages",
            {"body": body, "client_id": client_id or str(uuid.uuid4())},
        )


def make_inbox(world, **kwargs) -> Inbox:  # type: ignore[no-untyped-def]
    with schema_context(world.company.schema_name):
        return inbox_create(
            name=kwargs.pop("name", "Website"),
            allowed_domains=kwargs.pop("allowed_domains", ["shop.example.com", "*.example.org"]),
            **kwargs,
        )


def visitor_session(key: str, token: str | None = None, origin: str = ORIGIN) -> Visitor:
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        f"/widget/v1/inboxes/{key}/sessions",
        data={"token": token, "page_url": "https://shop.example.com/cart"},
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )
    assert response.status_code == 200, response.content
    return Visitor(client=client, token=response.json()["token"], key=key)


@pytest.fixture
def inbox(acme) -> Inbox:  # type: ignore[no-untyped-def]
    return make_inbox(acme)


@pytest.fixture
def visitor(inbox) -> Visitor:  # type: ignore[no-untyped-def]
    return visitor_session(inbox.public_key)
