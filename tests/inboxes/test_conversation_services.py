"""Conversation services: sequence numbers under concurrency, recipients of each event,
unread counters and the rules of ticks."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from inboxes.conversations import selectors, services
from inboxes.models import Conversation, Message
from tenants.accounts.models import User
from tests.factories import UserFactory
from tests.inboxes.conftest import make_inbox


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, dict[str, Any], list[str]]]:  # type: ignore[no-untyped-def]
    sent: list[tuple[str, dict[str, Any], list[str]]] = []

    def capture(event: str, payload: dict[str, Any], *, to) -> None:  # type: ignore[no-untyped-def]
        sent.append((event, payload, list(to)))

    monkeypatch.setattr("inboxes.conversations.lifecycle.publish_on_commit", capture)
    monkeypatch.setattr("inboxes.conversations.receipts.publish_on_commit", capture)
    monkeypatch.setattr("inboxes.conversations.announce.publish_on_commit", capture)
    monkeypatch.setattr("inboxes.conversations.typing_signals.publish", capture)
    return sent


def start(world) -> Conversation:  # type: ignore[no-untyped-def]
    inbox = make_inbox(world)
    with schema_context(world.company.schema_name):
        contact = services.contact_create()
        conversation, _ = services.conversation_start(inbox=inbox, contact=contact)
    return conversation


def groups_of(published, event: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {g for name, _, to in published if name == event for g in to}


@pytest.mark.django_db
def test_unassigned_visitor_message_goes_to_the_visitor_staff_and_the_pool(acme, published):
    conversation = start(acme)
    with schema_context("co_acme"):
        services.message_create(
            conversation=conversation, sender_type="visitor", body="hi", client_id=uuid.uuid4()
        )
    contact = conversation.contact_id
    assert groups_of(published, "message.created") == {
        f"t.co_acme.contact.{contact}",
        "t.co_acme.staff",
        "t.co_acme.pool",
    }
    assert groups_of(published, "conversation.created") == {"t.co_acme.staff", "t.co_acme.pool"}


@pytest.mark.django_db
def test_the_visitor_gets_the_visitors_view_without_internal_details(acme, published):
    conversation = start(acme)
    with schema_context("co_acme"):
        services.message_create(
            conversation=conversation, sender_type="visitor", body="hi", client_id=uuid.uuid4()
        )
    visitor_group = f"t.co_acme.contact.{conversation.contact_id}"
    to_visitor = [p for e, p, to in published if e == "message.created" and visitor_group in to]
    to_staff = [p for e, p, to in published if e == "message.created" and "t.co_acme.staff" in to]
    assert set(to_visitor[0]["conversation"]) >= {"id", "status", "last_seq"}
    for internal in ("contact", "routing_reason", "assignee_id", "branch_id"):
        assert internal not in to_visitor[0]["conversation"]
        assert internal in to_staff[0]["conversation"]


@pytest.mark.django_db
def test_replying_takes_the_chat_and_later_messages_skip_the_pool(acme, published):
    conversation = start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        services.message_create(
            conversation=conversation,
            sender_type="operator",
            body="Hello!",
            client_id=uuid.uuid4(),
            sender_user=olga,
        )
        conversation.refresh_from_db()
        assert conversation.assignee_id == olga.pk
        assert conversation.first_response_at is not None
        # the reply itself tells the pool that the chat is taken
        assert "t.co_acme.pool" in groups_of(published, "message.created")
        published.clear()
        services.message_create(
            conversation=conversation, sender_type="visitor", body="thanks", client_id=uuid.uuid4()
        )
    assert groups_of(published, "message.created") == {
        f"t.co_acme.contact.{conversation.contact_id}",
        "t.co_acme.staff",
        f"t.co_acme.user.{olga.pk}",
    }


@pytest.mark.django_db
def test_taking_a_chat_from_another_operator_needs_a_supervisor(acme, published):
    conversation = start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        other = UserFactory(role=User.Role.OPERATOR)
        supervisor = UserFactory(role=User.Role.SUPERVISOR)
        services.conversation_take(conversation=conversation, user=olga)
        with pytest.raises(Exception, match="Another operator"):
            services.conversation_take(conversation=conversation, user=other)
        services.conversation_take(conversation=conversation, user=supervisor)
    last = [
        to
        for event, _, to in published
        if event == "conversation.updated" and "t.co_acme.staff" in to
    ][-1]
    assert {f"t.co_acme.user.{olga.pk}", f"t.co_acme.user.{supervisor.pk}"} <= set(last)


@pytest.mark.django_db
def test_a_visitor_message_reopens_a_closed_conversation(acme, published):
    conversation = start(acme)
    with schema_context("co_acme"):
        admin = User.objects.get(email=acme.admin_email)
        services.conversation_close(conversation=conversation, actor=admin)
        services.message_create(
            conversation=conversation, sender_type="visitor", body="again", client_id=uuid.uuid4()
        )
        conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.closed_at is None
    assert [e for e, _, _ in published][-1] == "conversation.updated"


@pytest.mark.django_db
def test_operators_see_theirs_and_unassigned_supervisors_see_all(acme):
    mine, theirs, free = start(acme), start(acme), start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        other = UserFactory(role=User.Role.OPERATOR)
        supervisor = UserFactory(role=User.Role.SUPERVISOR)
        services.conversation_take(conversation=mine, user=olga)
        services.conversation_take(conversation=theirs, user=other)
        visible = {c.pk for c in selectors.conversation_list(user=olga)}
        assert visible == {mine.pk, free.pk}
        assert {c.pk for c in selectors.conversation_list(user=olga, tab="mine")} == {mine.pk}
        assert {c.pk for c in selectors.conversation_list(user=supervisor)} == {
            mine.pk,
            theirs.pk,
            free.pk,
        }


@pytest.mark.django_db
def test_unread_counts_follow_each_operators_own_read_position(acme):
    conversation = start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        admin = User.objects.get(email=acme.admin_email)
        for n in range(3):
            services.message_create(
                conversation=conversation,
                sender_type="visitor",
                body=f"q{n}",
                client_id=uuid.uuid4(),
            )
        assert selectors.unread_summary(user=olga)["conversations"] == {str(conversation.pk): 3}
        services.operator_receipts_mark(conversation=conversation, user=olga, read_seq=2)
        assert selectors.unread_summary(user=olga)["conversations"] == {str(conversation.pk): 1}
        assert selectors.unread_summary(user=olga)["dialogs_with_unread"] == 1
        assert selectors.unread_summary(user=admin)["conversations"] == {str(conversation.pk): 3}


@pytest.mark.django_db
def test_a_supervisor_reading_someone_elses_chat_does_not_tick_it_read(acme):
    conversation = start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        supervisor = UserFactory(role=User.Role.SUPERVISOR)
        services.message_create(
            conversation=conversation, sender_type="visitor", body="q", client_id=uuid.uuid4()
        )
        services.conversation_take(conversation=conversation, user=olga)
        services.operator_receipts_mark(conversation=conversation, user=supervisor, read_seq=1)
        conversation.refresh_from_db()
        assert conversation.operator_read_seq == 0
        services.operator_receipts_mark(conversation=conversation, user=olga, read_seq=1)
        conversation.refresh_from_db()
        assert conversation.operator_read_seq == 1
        assert Message.objects.get(conversation=conversation).read_at is not None


@pytest.mark.django_db
def test_receipts_never_move_backwards(acme):
    conversation = start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        for n in range(3):
            services.message_create(
                conversation=conversation,
                sender_type="operator",
                body=f"a{n}",
                client_id=uuid.uuid4(),
                sender_user=olga,
            )
        services.visitor_receipts_mark(conversation=conversation, read_seq=3)
        services.visitor_receipts_mark(conversation=conversation, read_seq=1, delivered_seq=0)
        conversation.refresh_from_db()
    assert (conversation.visitor_read_seq, conversation.visitor_delivered_seq) == (3, 3)


def _send_through_the_orm(conversation: Conversation, body: str) -> None:
    services.message_create(
        conversation=Conversation.objects.get(pk=conversation.pk),
        sender_type="visitor",
        body=body,
        client_id=uuid.uuid4(),
    )


def _send_as_the_visitor_socket(conversation: Conversation, body: str) -> None:
    visitor_send(conversation, body)  # the one-statement path


@pytest.mark.parametrize("send", [_send_through_the_orm, _send_as_the_visitor_socket])
def test_concurrent_senders_get_consecutive_sequence_numbers(live_db, send):
    """8 threads (own connections) write 25 messages each into one conversation."""
    world = live_db["initech"]
    conversation = start(world)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            connection.set_schema("co_initech")
            for i in range(25):
                send(conversation, f"{n}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with schema_context("co_initech"):
        seqs = list(
            Message.objects.filter(conversation_id=conversation.pk)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert seqs == list(range(1, 201))
        assert Conversation.objects.get(pk=conversation.pk).last_seq == 200


def test_the_same_client_id_sent_concurrently_is_stored_once(live_db):
    world = live_db["initech"]
    conversation = start(world)
    client_id = uuid.uuid4()
    results: list[tuple[int, bool]] = []

    def writer() -> None:
        connection.set_schema("co_initech")
        try:
            message, created = services.message_create(
                conversation=Conversation.objects.get(pk=conversation.pk),
                sender_type="visitor",
                body="once",
                client_id=client_id,
            )
            results.append((message.pk, created))
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    with schema_context("co_initech"):
        assert Conversation.objects.get(pk=conversation.pk).last_seq == 1


# --- the visitor's one-statement path (inboxes/conversations/visitor_sql.py) ---------------


def visitor_send(conversation: Conversation, body: str, client_id: uuid.UUID | None = None):  # type: ignore[no-untyped-def]
    return services.visitor_message_create(
        conversation_id=conversation.pk,
        contact_id=conversation.contact_id,
        inbox_id=conversation.inbox_id,
        body=body,
        client_id=client_id or uuid.uuid4(),
    )


@pytest.mark.django_db
def test_visitor_one_statement_path_stores_and_announces_exactly_what_the_orm_path_does(
    acme, published
):
    from inboxes.conversations.payloads import conversation_payload, message_payload

    fast_chat, orm_chat = start(acme), start(acme)
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
        Conversation.objects.filter(pk__in=[fast_chat.pk, orm_chat.pk]).update(assignee=olga)
        fast, fast_created = visitor_send(fast_chat, "Где мой **заказ**?")
        orm, orm_created = services.message_create(
            conversation=Conversation.objects.get(pk=orm_chat.pk),
            sender_type="visitor",
            body="Где мой **заказ**?",
            client_id=uuid.uuid4(),
        )
        stored_fast = Message.objects.get(pk=fast.pk)
        stored_orm = Message.objects.get(pk=orm.pk)
        fast_row = Conversation.objects.select_related("contact", "assignee").get(pk=fast_chat.pk)
        orm_row = Conversation.objects.select_related("contact", "assignee").get(pk=orm_chat.pk)
        stored = (message_payload(stored_fast), message_payload(stored_orm))
        rows = (conversation_payload(fast_row), conversation_payload(orm_row))
        fast_html = message_payload(fast)["body_html"]
    assert fast_created and orm_created

    def same(a: dict[str, Any], b: dict[str, Any], differ: set[str]) -> None:
        assert {k for k in a if k not in differ} == {k for k in b if k not in differ}
        assert {k: v for k, v in a.items() if k not in differ} == {
            k: v for k, v in b.items() if k not in differ
        }

    message_differs = {"id", "conversation_id", "client_id", "created_at", "conversation"}
    conversation_differs = {
        "id",
        "contact",
        "created_at",
        "last_message_at",
        "queued_at",
        "inbox_id",
        "conversation_id",
    }
    same(*stored, message_differs)
    same(*rows, conversation_differs)

    # what went out: the same events, to the same kinds of groups, with the same payloads
    def sent_for(chat: Conversation) -> list[tuple[str, dict[str, Any]]]:
        return [
            (e, p)
            for e, p, _to in published
            if e != "conversation.created" and p.get("conversation_id") == chat.pk
        ]

    fast_events, orm_events = sent_for(fast_chat), sent_for(orm_chat)
    expected = ["message.created", "message.created"]  # operators' view, then the visitor's
    assert [e for e, _ in fast_events] == [e for e, _ in orm_events] == expected
    for (_, fast_payload), (_, orm_payload) in zip(fast_events, orm_events, strict=True):
        same(fast_payload, orm_payload, message_differs)
        same(fast_payload["conversation"], orm_payload["conversation"], conversation_differs)
    assert fast_html == "<p>Где мой <strong>заказ</strong>?</p>"


@pytest.mark.django_db
def test_visitor_one_statement_path_refuses_another_visitors_conversation(acme):
    mine, theirs = start(acme), start(acme)
    with schema_context("co_acme"), pytest.raises(Conversation.DoesNotExist):
        services.visitor_message_create(
            conversation_id=theirs.pk,
            contact_id=mine.contact_id,
            inbox_id=mine.inbox_id,
            body="hello?",
            client_id=uuid.uuid4(),
        )
    with schema_context("co_acme"):
        assert Conversation.objects.get(pk=theirs.pk).last_seq == 0


@pytest.mark.django_db
def test_visitor_one_statement_path_stores_a_retry_once_without_using_a_number(acme, published):
    chat = start(acme)
    client_id = uuid.uuid4()
    with schema_context("co_acme"):
        first, created = visitor_send(chat, "once", client_id)
        again, created_again = visitor_send(chat, "once", client_id)
        assert (created, created_again) == (True, False) and again.pk == first.pk
        assert Conversation.objects.get(pk=chat.pk).last_seq == 1
        assert visitor_send(chat, "next")[0].seq == 2
    to_visitor = [e for e, _, to in published if to == [f"t.co_acme.contact.{chat.contact_id}"]]
    assert to_visitor.count("message.created") == 2  # the retry announced nothing


@pytest.mark.django_db
def test_visitor_one_statement_path_reopens_a_closed_conversation(acme, published):
    chat = start(acme)
    with schema_context("co_acme"):
        admin = User.objects.get(email=acme.admin_email)
        services.conversation_close(conversation=chat, actor=admin)
        visitor_send(chat, "again")
        chat.refresh_from_db()
    assert chat.status == "open" and chat.closed_at is None
    assert [e for e, _, _ in published][-1] == "conversation.updated"


@pytest.mark.django_db
def test_a_visitors_text_message_is_one_sql_statement(acme, published):
    from django.test.utils import CaptureQueriesContext

    chat = start(acme)
    with schema_context("co_acme"), CaptureQueriesContext(connection) as captured:
        visitor_send(chat, "hello")
    statements = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET search_path"))
    ]
    assert len(statements) == 1, statements
