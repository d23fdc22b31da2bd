"""Domain events (messenger.kernel.events): who hears each fact, when, and what a failing or
repeated listener does. Listener specs: each fact the services emit reaches the registered
listeners once the transaction commits, never when it rolls back."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import schema_context

from inboxes.conversations import services
from inboxes.conversations.ratings import conversation_rate
from inboxes.models import Conversation
from inboxes.routing import operators
from messenger.kernel import events
from messenger.kernel.events import AFTER_COMMIT, IN_TRANSACTION, QUEUED, Event
from messenger.kernel.models import HandledEvent
from tenants.accounts.models import User
from tests.inboxes.conftest import make_inbox

SCHEMA = "co_acme"


class Heard:
    """Listeners registered for a test (removed after it), recording what they hear."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._registered: list[tuple[events.EventType, Callable[[Event], None]]] = []

    def listen(self, event_type: events.EventType, *, kind: str = AFTER_COMMIT) -> None:
        def heard(event: Event) -> None:
            self.events.append(event)

        heard.__qualname__ = f"heard_{event_type.name}_{kind}"
        events.listener_add(event_type, heard, kind=kind)
        self._registered.append((event_type, heard))

    def add(self, event_type: events.EventType, func: Callable[[Event], None], kind: str) -> str:
        self._registered.append((event_type, func))
        return events.listener_add(event_type, func, kind=kind)

    def names(self) -> list[str]:
        return [e.name for e in self.events]

    def remove_all(self) -> None:
        for event_type, func in self._registered:
            events.listener_remove(event_type, func)


@pytest.fixture
def heard() -> Iterator[Heard]:
    recorder = Heard()
    yield recorder
    recorder.remove_all()


def _chat(inbox) -> Conversation:  # type: ignore[no-untyped-def]
    contact = services.contact_create()
    conversation, _created = services.conversation_start(inbox=inbox, contact=contact)
    return conversation


@pytest.mark.django_db
def test_each_fact_reaches_its_listeners_after_commit_with_its_fields_and_schema(
    acme, heard, django_capture_on_commit_callbacks
):
    inbox = make_inbox(acme)
    for event_type in events.EVENT_TYPES.values():
        heard.listen(event_type)
    with schema_context(SCHEMA):
        admin = User.objects.get(email=acme.admin_email)
        with django_capture_on_commit_callbacks(execute=False) as pending:
            conversation = _chat(inbox)
            services.message_create(
                conversation=conversation, sender_type="visitor", body="Hi", client_id=None
            )
            services.conversation_take(conversation=conversation, user=admin)
            services.message_create(
                conversation=conversation,
                sender_type="operator",
                body="Hello",
                client_id=None,
                sender_user=admin,
            )
            services.conversation_close(conversation=conversation, actor=admin)
            conversation_rate(conversation=conversation, score=5)
            operators.operator_status_set(user=admin, status="away")
        # nothing is heard before the commit
        assert heard.events == []
        for callback in pending:
            callback()
    names = heard.names()
    for expected in (
        "conversation.created",
        "message.sent",
        "conversation.assigned",
        "conversation.closed",
        "rating.given",
        "operator.status_changed",
    ):
        assert expected in names
    assert all(e.schema_name == SCHEMA for e in heard.events)
    assert len({e.id for e in heard.events}) == len(heard.events)
    for event in heard.events:
        assert set(event.payload) == events.EVENT_TYPES[event.name].fields
    sent = [e.payload for e in heard.events if e.name == "message.sent"]
    assert [p["sender_type"] for p in sent] == ["visitor", "operator"]
    assigned = [e.payload for e in heard.events if e.name == "conversation.assigned"]
    assert assigned[-1]["assignee_id"] == admin.pk and assigned[-1]["reason"] == "manual"
    closed = next(e.payload for e in heard.events if e.name == "conversation.closed")
    assert closed == {
        "conversation_id": conversation.pk,
        "branch_id": conversation.branch_id,
        "assignee_id": admin.pk,
        "actor_id": admin.pk,
    }


@pytest.mark.django_db
def test_a_rolled_back_transaction_is_heard_by_nobody(
    acme, heard, django_capture_on_commit_callbacks
):
    inbox = make_inbox(acme)
    heard.listen(events.CONVERSATION_CREATED)
    heard.listen(events.MESSAGE_SENT, kind=QUEUED)
    with (
        schema_context(SCHEMA),
        django_capture_on_commit_callbacks(execute=True) as pending,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        conversation = _chat(inbox)
        services.message_create(
            conversation=conversation, sender_type="visitor", body="Hi", client_id=None
        )
        raise RuntimeError("the request failed")
    assert pending == [] and heard.events == []


@pytest.mark.django_db
def test_an_in_transaction_listener_runs_at_once_and_its_error_fails_the_write(acme, heard):
    inbox = make_inbox(acme)
    heard.listen(events.CONVERSATION_CREATED, kind=IN_TRANSACTION)
    with schema_context(SCHEMA):
        conversation = _chat(inbox)  # no commit yet: the test's transaction is still open
        assert heard.names() == ["conversation.created"]
        assert heard.events[0].payload["conversation_id"] == conversation.pk

        def refuse(event: Event) -> None:
            raise ValidationError("refused")

        heard.add(events.CONVERSATION_CREATED, refuse, IN_TRANSACTION)
        with pytest.raises(ValidationError):
            _chat(inbox)


@pytest.mark.django_db
def test_routing_hears_a_new_chat_in_the_same_transaction(acme):
    # the assignee is known when conversation_start returns (routing is an in-transaction
    # listener of conversation.created), and conversations import no routing code
    inbox = make_inbox(acme)
    with schema_context(SCHEMA):
        conversation = _chat(inbox)
        assert conversation.routing_reason  # placed by routing before the answer
    names = [listener.name for listener in events.listeners_for(events.CONVERSATION_CREATED)]
    assert "inboxes.routing.listeners.conversation_created_route" in names
    package = Path(services.__file__).parent
    importing = [
        path.name
        for path in package.glob("*.py")
        if re.search(r"^\s*(from|import) inboxes\.routing", path.read_text(), re.MULTILINE)
    ]
    assert importing == []


@pytest.mark.django_db
def test_a_failing_after_commit_listener_is_retried_once_logged_and_the_request_succeeds(
    acme, heard, caplog, django_capture_on_commit_callbacks
):
    attempts: list[str] = []

    def broken(event: Event) -> None:
        attempts.append(event.id)
        raise RuntimeError("listener bug")

    name = heard.add(events.CONVERSATION_CLOSED, broken, AFTER_COMMIT)
    heard.listen(events.CONVERSATION_CLOSED)  # a later listener still hears it
    inbox = make_inbox(acme)
    with schema_context(SCHEMA):
        conversation = _chat(inbox)
    client = acme.login()
    caplog.set_level(logging.WARNING, logger="messenger.kernel.events")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/conversations/{conversation.pk}/close", content_type="application/json"
        )
    assert response.status_code == 200
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert heard.names() == ["conversation.closed"]
    failures = [r for r in caplog.records if getattr(r, "listener", "") == name]
    assert [r.levelname for r in failures] == ["WARNING", "ERROR"]
    assert all(r.event_id == attempts[0] for r in failures)


@pytest.mark.django_db
def test_a_queued_listener_runs_once_per_event_id_however_often_it_is_delivered(acme, heard):
    calls: list[str] = []

    def count(event: Event) -> None:
        calls.append(event.id)

    name = heard.add(events.RATING_GIVEN, count, QUEUED)
    event = Event(
        "rating.given",
        {"conversation_id": 1, "score": 5, "scale": "stars", "assignee_id": None},
        SCHEMA,
    )
    assert events.deliver(name, event) is True
    assert events.deliver(name, event) is False  # a repeat delivery (a worker lost its ack)
    assert calls == [event.id]
    assert HandledEvent.objects.filter(event_id=event.id, listener=name).count() == 1


@pytest.mark.django_db
def test_a_failing_queued_listener_is_retried_by_celery_and_marked_only_once_done(acme, heard):
    from messenger.kernel.tasks import event_deliver

    calls: list[int] = []

    def flaky(event: Event) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("webhook endpoint down")

    name = heard.add(events.RATING_GIVEN, flaky, QUEUED)
    event = Event(
        "rating.given",
        {"conversation_id": 1, "score": 4, "scale": "stars", "assignee_id": None},
        SCHEMA,
    )
    result = event_deliver.apply(args=[name, event.as_dict()])
    assert result.successful() and result.result is True
    assert len(calls) == 2  # failed, retried, done
    assert HandledEvent.objects.filter(event_id=event.id, listener=name).count() == 1


@pytest.mark.django_db
def test_emitting_sends_a_queued_delivery_after_commit_in_the_events_schema(
    acme, heard, monkeypatch, django_capture_on_commit_callbacks
):
    from messenger.kernel import tasks

    sent: list[tuple[list, dict]] = []
    monkeypatch.setattr(
        tasks.event_deliver, "apply_async", lambda args, headers: sent.append((args, headers))
    )
    name = heard.add(events.OPERATOR_STATUS_CHANGED, lambda event: None, QUEUED)
    with schema_context(SCHEMA), django_capture_on_commit_callbacks(execute=True):
        admin = User.objects.get(email=acme.admin_email)
        operators.operator_status_set(user=admin, status="busy")
        assert sent == []
    assert len(sent) == 1
    (listener, payload), headers = sent[0]
    assert listener == name and headers == {"_schema_name": SCHEMA}
    assert payload["name"] == "operator.status_changed"
    assert payload["payload"] == {"user_id": admin.pk, "status": "busy"}


def test_an_event_with_missing_or_extra_fields_is_refused():
    with pytest.raises(TypeError):
        events.emit(events.RATING_GIVEN, conversation_id=1, score=5)
