"""Assignment: give a chat to the least-loaded online operator of its branch with room, or
queue it; record the change and (re)arm the escalation timer. Races are decided by
PostgreSQL: a chat is given out with its row locked (never twice), and to an operator whose row
is locked and whose load is counted again under that lock (never over capacity, whichever
branches the concurrent assigners work in). Assigners into one branch no longer wait for each
other, only for the same operator. Each change emits `conversation.assigned`."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from inboxes.conversations import events
from inboxes.conversations.announce import conversation_announce
from inboxes.conversations.facts import assigned_emit
from inboxes.models import Conversation, ConversationAssignment, RoutingSettings
from inboxes.routing import assignment_sql, policy, selectors
from tenants.accounts.models import User
from tenants.organization.models import Branch

ESCALATION = "escalation"  # the deadline kind of an unopened chat's timer (escalation.py)
Reason = ConversationAssignment.Reason


def _publish_assignment(conversation: Conversation, previous_assignee_id: int | None) -> None:
    # Every assigner holds the conversation locked with its contact and assignee loaded, and
    # _assign has just set the fields the payload reads: announce it as it is.
    conversation_announce(
        events.CONVERSATION_UPDATED, conversation, previous_assignee_id=previous_assignee_id
    )


def _assign(
    conversation: Conversation,
    user: User | None,
    *,
    reason: str,
    actor: User | None = None,
    note: str = "",
    announce: bool = True,
    timer_pending: bool | None = None,
) -> ConversationAssignment:
    """Record the change, set the conversation's fields, (re)arm the escalation timer.

    An escalation timer runs only while someone holds the chat unopened, so with no previous
    assignee there is none to cancel (`timer_pending` overrides: the escalation handler passes
    False, its own row being the only one and marked done by the runner)."""
    now = timezone.now()
    previous = conversation.assignee_id
    if timer_pending is None:
        timer_pending = previous is not None
    conversation.assignee = user
    if user is None:
        conversation.status = Conversation.Status.PENDING
        conversation.queued_at = conversation.queued_at or now
        conversation.assigned_at = None
    else:
        conversation.status = Conversation.Status.OPEN
        conversation.queued_at = None
        conversation.assigned_at = now
    conversation.opened_at = None
    due_at = None
    if user is not None and reason != Reason.MANUAL:
        # Read along with the conversation's lock (_locked_conversation) when taken there.
        timeout = getattr(conversation, "escalation_timeout", None)
        if timeout is None:
            timeout = RoutingSettings.current().escalation_timeout_seconds
        due_at = now + timedelta(seconds=timeout)
    note = note[:500]
    record_id = assignment_sql.write(
        conversation=conversation,
        assignee_id=user.pk if user is not None else None,
        reason=reason,
        actor_id=actor.pk if actor is not None else None,
        note=note,
        now=now,
        cancel_timer=timer_pending,
        timer_kind=ESCALATION,
        timer_due_at=due_at,
    )
    record = ConversationAssignment(
        pk=record_id,
        conversation=conversation,
        assignee=user,
        branch_id=conversation.branch_id,
        reason=reason,
        actor=actor,
        note=note,
        created_at=now,
    )
    record._state.adding, record._state.db = False, connection.alias
    if announce:
        _publish_assignment(conversation, previous)
    assigned_emit(
        conversation,
        previous_assignee_id=previous,
        reason=reason,
        actor_id=actor.pk if actor is not None else None,
    )
    return record


def _locked_branch(branch_id: int) -> Branch:
    """The branch row, locked, so that queue drains of a branch take turns. NO KEY: the
    foreign-key checks of assigners committing chats in this branch are not held up."""
    return Branch.objects.select_for_update(no_key=True).get(pk=branch_id)


def _timeout_subquery() -> Subquery:
    """The escalation timeout, read in the same query as a lock (None before settings exist)."""
    return Subquery(RoutingSettings.objects.order_by("pk").values("escalation_timeout_seconds")[:1])


def _has_room(user_id: int, capacity: int | None) -> bool:
    """Whether the operator is under capacity now (call with their row locked)."""
    if capacity is None:
        return True
    load = Conversation.objects.filter(
        assignee_id=user_id, status__in=selectors.OPEN_STATUSES
    ).count()
    return load < capacity


def _claim(
    preference: list[int], candidates: list[policy.Candidate], names: dict[int, str]
) -> User | None:
    """The first operator of `preference` who still has room, their row locked until commit.

    FOR NO KEY UPDATE: rows that only reference the operator (their messages, assignments)
    are not held up. Someone being given a chat by another transaction at this moment is
    skipped at first (SKIP LOCKED), which spreads simultaneous chats over equals; when all were
    skipped, they are waited for in turn. Under the lock the load is counted again, so it is
    exact whatever branch the other assigners work in; an operator found full is let go at
    once (the savepoint's rollback releases the lock), so no assigner waits while holding
    another's operator."""
    capacities = {c.user_id: c.capacity for c in candidates}
    passed_over: set[int] = set()
    for wait in (False, True):
        for user_id in preference:
            if user_id in passed_over:
                continue
            limited = capacities[user_id] is not None
            savepoint = transaction.savepoint() if limited else None
            locked = (
                User.objects.select_for_update(no_key=True, skip_locked=not wait)
                .filter(pk=user_id, is_active=True, status=User.Status.ONLINE)
                .exists()
            )
            if locked and _has_room(user_id, capacities[user_id]):
                if savepoint is not None:
                    transaction.savepoint_commit(savepoint)
                return _person(user_id, names)
            if savepoint is not None:
                transaction.savepoint_rollback(savepoint)
            if locked or wait:
                passed_over.add(user_id)  # full, or no longer online
    return None


def _person(pk: int, names: dict[int, str]) -> User:
    """The chosen operator as the announcement needs them (id and name); the other fields load
    if something reads them."""
    return User.from_db(connection.alias, ["id", "full_name"], [pk, names[pk]])


def _locked_conversation(conversation_id: int) -> Conversation:
    """The conversation row, locked, with its contact and assignee, and the escalation
    timeout (`escalation_timeout`) read in the same query."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact", "assignee")
        .annotate(escalation_timeout=_timeout_subquery())
        .get(pk=conversation_id)
    )


@transaction.atomic
def assign_next(
    conversation: Conversation,
    *,
    reason: str,
    exclude: set[int] | frozenset[int] = frozenset(),
    actor: User | None = None,
    note: str = "",
    announce: bool = True,
) -> User | None:
    """Give the conversation to the least-loaded online operator of its branch with room,
    or queue it (pending, oldest first) when nobody is free. Returns the assignee."""
    if conversation.branch_id is None:
        _assign(conversation, None, reason=Reason.QUEUE, actor=actor, note=note, announce=announce)
        return None
    locked = _locked_conversation(conversation.pk)
    people, names = selectors.candidates_named(Branch(pk=locked.branch_id))
    user = _claim(policy.operator_preference(people, exclude=exclude), people, names)
    if user is None and locked.assignee_id is None and locked.queued_at is not None:
        return None  # already waiting in the queue; nothing changes
    _assign(
        locked,
        user,
        reason=reason if user else Reason.QUEUE,
        actor=actor,
        note=note,
        announce=announce,
    )
    _copy_assignment(locked, into=conversation)
    return user


def _copy_assignment(source: Conversation, *, into: Conversation) -> None:
    for field in ("assignee_id", "status", "queued_at", "assigned_at", "opened_at", "branch_id"):
        setattr(into, field, getattr(source, field))
    into.assignee = source.assignee
