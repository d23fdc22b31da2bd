"""Assignment under concurrency: the branch row lock keeps capacities (committed data)."""

from __future__ import annotations

import threading
from collections import Counter

from django.db import connection
from django_tenants.utils import schema_context

from inboxes.models import Conversation, RoutingRule
from inboxes.routing import configuration
from inboxes.services import inbox_create
from tenants.organization.services import branch_create
from tests.inboxes.routing.conftest import new_chat, people


def test_concurrent_assigners_never_exceed_capacity(live_db):
    """8 threads route 80 chats into a branch whose 5 operators take 4 chats each."""
    with schema_context("co_initech"):
        branch = branch_create(name=f"Cap {threading.get_ident()}", region="", timezone_name="UTC")
        operators = people(branch, 5, prefix=f"cc{branch.pk}-", capacity=4)
        inbox = inbox_create(name="Cap", allowed_domains=["x.test"])
        RoutingRule.objects.all().delete()
        configuration.routing_rule_create(country_code="ZZ", region_code="", branch_id=branch.pk)
    errors: list[BaseException] = []

    def assigner() -> None:
        try:
            connection.set_schema("co_initech")
            for _ in range(10):
                new_chat(inbox, country_code="ZZ")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=assigner) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with schema_context("co_initech"):
        load = Counter(
            Conversation.objects.filter(branch=branch, assignee__isnull=False).values_list(
                "assignee_id", flat=True
            )
        )
        assert set(load) == {o.pk for o in operators}
        assert max(load.values()) == 4  # nobody over capacity, everyone full
        assert Conversation.objects.filter(branch=branch, assignee__isnull=True).count() == 60
        RoutingRule.objects.filter(branch=branch).delete()
