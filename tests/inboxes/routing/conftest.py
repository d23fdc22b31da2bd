"""Routing fixtures: a company with branches and online operators, in a schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_tenants.utils import schema_context

from inboxes.conversations import services as conversations
from inboxes.models import Conversation, Inbox
from inboxes.services import inbox_create
from tenants.accounts.models import User
from tenants.organization.models import Branch
from tenants.organization.services import branch_create, operator_create
from tests.factories import PASSWORD

MakeOperators = Callable[..., list[User]]


def people(
    branch: Branch,
    count: int,
    *,
    prefix: str,
    status: str = "online",
    capacity: int | None = None,
    role: str = "operator",
) -> list[User]:
    made = []
    for n in range(count):
        user = operator_create(
            email=f"{prefix}{n}@example.com",
            full_name=f"{prefix} {n}",
            password=PASSWORD,
            role=role,
            branch_ids=[branch.pk],
        )
        User.objects.filter(pk=user.pk).update(status=status, capacity=capacity)
        user.refresh_from_db()
        made.append(user)
    return made


def new_chat(inbox: Inbox, **contact_fields: str) -> Conversation:
    contact = conversations.contact_create()
    if contact_fields:
        for key, value in contact_fields.items():
            setattr(contact, key, value)
        contact.save()
    conversation, _ = conversations.conversation_start(inbox=inbox, contact=contact)
    return conversation


@pytest.fixture
def acme_schema(acme):  # type: ignore[no-untyped-def]
    with schema_context(acme.company.schema_name):
        yield acme


@pytest.fixture
def inbox(acme_schema) -> Inbox:  # type: ignore[no-untyped-def]
    return inbox_create(name="Site", allowed_domains=["shop.example.com"])


@pytest.fixture
def yekaterinburg(acme_schema) -> Branch:  # type: ignore[no-untyped-def]
    return branch_create(
        name="Yekaterinburg", region="Sverdlovsk Oblast", timezone_name="Asia/Yekaterinburg"
    )


@pytest.fixture
def main_branch(acme_schema) -> Branch:  # type: ignore[no-untyped-def]
    return Branch.objects.get(is_default=True)
