"""Domain events: every fact the product announces, emitted one way, heard by listeners.

An event type is a name and the payload fields it carries; an event is one occurrence, with
its own id and the schema (company) it happened in. Services call `emit(TYPE, **fields)`;
apps register listeners in their `AppConfig.ready` with `@listen(TYPE, kind=...)`. The kernel
imports no app: it only keeps the registry and delivers. docs/events.md explains the kinds.

- IN_TRANSACTION: called by `emit`, inside the emitting transaction, before it commits. Only
  for work that is part of the same request (routing a new chat, so its assignee is known
  in the answer); an error fails the request, as it would have without the event.
- AFTER_COMMIT: called in-process once the transaction commits (never on rollback), in the
  emitting process. A failure is retried once at once, then logged with the event id; it
  never reaches the request.
- QUEUED: a Celery task (`kernel.event_deliver`) sent after commit; at least once, retried
  with backoff, and idempotent by (event id, listener) (`HandledEvent`).

Real-time signals to sockets are the same after-commit kind, kept on their own fast path
(`messenger.realtime.publish_on_commit`, one callback per publish).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from messenger.schema import current_schema

log = logging.getLogger(__name__)

IN_TRANSACTION = "in_transaction"
AFTER_COMMIT = "after_commit"
QUEUED = "queued"
KINDS = (IN_TRANSACTION, AFTER_COMMIT, QUEUED)
AFTER_COMMIT_ATTEMPTS = 2


@dataclass(frozen=True)
class EventType:
    """A kind of fact: its dotted name and the payload fields every occurrence carries."""

    name: str
    fields: frozenset[str]
    doc: str = ""


def _type(name: str, fields: str, doc: str) -> EventType:
    return EventType(name, frozenset(fields.split()), doc)


# Every domain event of the product. The payload holds ids and plain values (JSON), never
# model instances: a queued listener reads the rows it needs in its own transaction.
CONVERSATION_CREATED = _type(
    "conversation.created",
    "conversation_id inbox_id contact_id is_request",
    "A visitor started a chat or left an offline request.",
)
CONVERSATION_ASSIGNED = _type(
    "conversation.assigned",
    "conversation_id assignee_id previous_assignee_id branch_id reason actor_id",
    "The chat's assignee changed (assignee_id None: it waits in its branch's queue).",
)
CONVERSATION_TRANSFERRED = _type(
    "conversation.transferred",
    "conversation_id from_branch_id to_branch_id actor_id",
    "An operator passed the chat to another branch.",
)
CONVERSATION_CLOSED = _type(
    "conversation.closed",
    "conversation_id branch_id assignee_id actor_id",
    "An operator closed the chat.",
)
CONVERSATION_REOPENED = _type(
    "conversation.reopened",
    "conversation_id actor_id",
    "A closed chat is open again (actor_id None: the visitor wrote again).",
)
CONVERSATION_READ = _type(
    "conversation.read",
    "conversation_id user_id assignee_id read_seq",
    "An operator read the visitor's messages up to read_seq.",
)
MESSAGE_SENT = _type(
    "message.sent",
    "conversation_id message_id seq sender_type sender_user_id",
    "A visitor, operator or the system wrote in a chat.",
)
RATING_GIVEN = _type(
    "rating.given",
    "conversation_id score scale assignee_id",
    "The visitor rated a closed chat.",
)
OPERATOR_STATUS_CHANGED = _type(
    "operator.status_changed",
    "user_id status",
    "An operator went online, away, busy or offline.",
)
OPERATOR_CAPACITY_CHANGED = _type(
    "operator.capacity_changed",
    "user_id capacity",
    "An operator's limit of open chats changed (None: no limit).",
)

EVENT_TYPES: dict[str, EventType] = {
    t.name: t
    for t in (
        CONVERSATION_CREATED,
        CONVERSATION_ASSIGNED,
        CONVERSATION_TRANSFERRED,
        CONVERSATION_CLOSED,
        CONVERSATION_REOPENED,
        CONVERSATION_READ,
        MESSAGE_SENT,
        RATING_GIVEN,
        OPERATOR_STATUS_CHANGED,
        OPERATOR_CAPACITY_CHANGED,
    )
}


@dataclass(frozen=True)
class Event:
    """One occurrence: `id` is unique and is what queued listeners are idempotent by."""

    name: str
    payload: dict[str, Any]
    schema_name: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: str = field(default_factory=lambda: timezone.now().isoformat())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "schema_name": self.schema_name,
            "occurred_at": self.occurred_at,
            "payload": self.payload,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(
            name=data["name"],
            payload=dict(data["payload"]),
            schema_name=data["schema_name"],
            id=data["id"],
            occurred_at=data["occurred_at"],
        )


ListenerFunc = Callable[[Event], None]


@dataclass(frozen=True)
class Listener:
    name: str  # "module.function": how a queued delivery finds it again in the worker
    kind: str
    func: ListenerFunc


_listeners: dict[str, list[Listener]] = {}
_by_name: dict[str, Listener] = {}


def listen(event_type: EventType, *, kind: str = AFTER_COMMIT) -> Callable[[ListenerFunc], Any]:
    """Register the decorated function for `event_type` (call from `AppConfig.ready`;
    registering the same function again replaces it)."""
    if kind not in KINDS:
        raise ValueError(f"Unknown listener kind: {kind}")

    def register(func: ListenerFunc) -> ListenerFunc:
        listener_add(event_type, func, kind=kind)
        return func

    return register


def listener_add(event_type: EventType, func: ListenerFunc, *, kind: str = AFTER_COMMIT) -> str:
    """`listen` as a call; returns the listener's name."""
    name = f"{func.__module__}.{func.__qualname__}"
    listener = Listener(name, kind, func)
    registered = [x for x in _listeners.get(event_type.name, []) if x.name != name]
    _listeners[event_type.name] = [*registered, listener]
    _by_name[name] = listener
    return name


def listener_remove(event_type: EventType, func: ListenerFunc) -> None:
    name = f"{func.__module__}.{func.__qualname__}"
    _listeners[event_type.name] = [x for x in _listeners.get(event_type.name, []) if x.name != name]
    _by_name.pop(name, None)


def listeners_for(event_type: EventType) -> list[Listener]:
    return list(_listeners.get(event_type.name, ()))


def emit(event_type: EventType, **payload: Any) -> Event | None:
    """Announce a fact of the active schema: in-transaction listeners now, the others once
    the transaction commits (at once outside one). Returns the event, None when nobody
    listens (then nothing is built or scheduled: emitting costs a dictionary look-up)."""
    if payload.keys() != event_type.fields:
        raise TypeError(
            f"{event_type.name} carries {sorted(event_type.fields)}, not {sorted(payload)}"
        )
    listeners = _listeners.get(event_type.name)
    if not listeners:
        return None
    event = Event(event_type.name, payload, current_schema())
    later = []
    for listener in listeners:
        if listener.kind == IN_TRANSACTION:
            listener.func(event)
        else:
            later.append(listener)
    if later:
        transaction.on_commit(lambda: _after_commit(event, later))
    return event


def _after_commit(event: Event, listeners: list[Listener]) -> None:
    for listener in listeners:
        if listener.kind == AFTER_COMMIT:
            _run_in_process(listener, event)
        else:
            _enqueue(listener, event)


def _in_schema(schema_name: str) -> Any:
    from contextlib import nullcontext

    if current_schema() == schema_name:
        return nullcontext()
    from django_tenants.utils import schema_context

    return schema_context(schema_name)


def _run_in_process(listener: Listener, event: Event) -> None:
    """An after-commit listener: retried once, then logged; it never fails the caller."""
    extra = {"event_id": event.id, "event": event.name, "listener": listener.name}
    for attempt in range(1, AFTER_COMMIT_ATTEMPTS + 1):
        try:
            with _in_schema(event.schema_name):
                listener.func(event)
            return
        except Exception:
            if attempt < AFTER_COMMIT_ATTEMPTS:
                log.warning("event listener failed; retrying", extra=extra, exc_info=True)
            else:
                log.exception("event listener failed; given up", extra=extra)


def _enqueue(listener: Listener, event: Event) -> None:
    """Send a queued delivery; the Celery task (and its broker client) load only now."""
    try:
        from messenger.tasks import task_named  # by name: this module imports no entry point

        task_named("messenger.kernel.tasks.event_deliver").apply_async(
            args=(listener.name, event.as_dict()), headers={"_schema_name": event.schema_name}
        )
    except Exception:
        log.exception(
            "event not queued",
            extra={"event_id": event.id, "event": event.name, "listener": listener.name},
        )


def deliver(listener_name: str, event: Event) -> bool:
    """Run a queued listener once per event: its work and the (event id, listener) mark
    commit together, so a retry after a failure runs it again and a repeat after success
    does nothing. Returns False for a repeat. Runs in the event's schema."""
    from messenger.kernel.models import HandledEvent

    listener = _by_name.get(listener_name)
    if listener is None:
        log.warning(
            "event for an unknown listener dropped",
            extra={"event_id": event.id, "listener": listener_name},
        )
        return False
    with _in_schema(event.schema_name), transaction.atomic():
        _mark, created = HandledEvent.objects.get_or_create(
            event_id=event.id,
            listener=listener_name,
            defaults={"event_name": event.name, "schema_name": event.schema_name},
        )
        if not created:
            return False
        listener.func(event)
    return True
