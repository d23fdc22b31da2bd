"""Assignment under concurrency: operator row locks keep capacities (committed data), across
branches too, and assigners into one branch do not wait for each other."""

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
        RoutingRule.objects.filter(country_code="ZZ").delete()  # only this test's code
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


def test_an_operator_of_two_branches_never_exceeds_capacity_when_both_assign_at_once(live_db):
    """Branch A's assigner has given the shared operator (capacity 1) a chat and not committed
    yet; branch B's assigner, whose only operator is the same person, must wait for it and then
    count that chat: B's chat waits in the queue instead of going over capacity."""
    from django.db import transaction

    from inboxes.models import Inbox
    from inboxes.routing import services
    from tenants.organization.models import BranchMembership

    with schema_context("co_initech"):
        branch_a = branch_create(name=f"A {threading.get_ident()}", region="", timezone_name="UTC")
        branch_b = branch_create(name=f"B {threading.get_ident()}", region="", timezone_name="UTC")
        (shared,) = people(branch_a, 1, prefix=f"sh{branch_a.pk}-", capacity=1)
        BranchMembership.objects.create(user=shared, branch=branch_b)
        inbox = Inbox.objects.first() or inbox_create(name="Two", allowed_domains=["x.test"])
        from inboxes.conversations import services as conversations

        chat_a = Conversation.objects.create(
            inbox=inbox, contact=conversations.contact_create(), branch=branch_a
        )
        chat_b = Conversation.objects.create(
            inbox=inbox, contact=conversations.contact_create(), branch=branch_b
        )
    a_assigned, a_may_commit, errors = threading.Event(), threading.Event(), []
    results: dict[str, object] = {}

    def assign_in_a() -> None:
        try:
            connection.set_schema("co_initech")
            with transaction.atomic():
                results["a"] = services.assign_next(chat_a, reason="routing")
                a_assigned.set()
                a_may_commit.wait(10)
        except BaseException as exc:
            errors.append(exc)
            a_assigned.set()
        finally:
            connection.close()

    def assign_in_b() -> None:
        try:
            connection.set_schema("co_initech")
            results["b"] = services.assign_next(chat_b, reason="routing")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=assign_in_a)
    first.start()
    assert a_assigned.wait(10)
    second = threading.Thread(target=assign_in_b)
    second.start()
    second.join(0.5)
    waited = second.is_alive()  # B is held up by A's lock on the operator's row
    a_may_commit.set()
    first.join(10)
    second.join(10)
    assert errors == [], [str(e) for e in errors]
    assert waited
    assert getattr(results["a"], "pk", None) == shared.pk and results["b"] is None
    with schema_context("co_initech"):
        assert Conversation.objects.filter(assignee=shared, status="open").count() == 1
        assert Conversation.objects.get(pk=chat_b.pk).queued_at is not None
