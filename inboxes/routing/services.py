"""Routing services: route a new chat, assign the next operator, drain queues, escalate,
transfer, operator status. Races are decided by PostgreSQL: a chat is given out with its row
locked (never twice), and to an operator whose row is locked and whose load is counted again
under that lock (never over capacity, whichever branches the concurrent assigners work in).
Assigners into one branch no longer wait for each other, only for the same operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients
from inboxes.conversations.announce import conversation_announce
from inboxes.models import Conversation, ConversationAssignment, RoutingSettings
from inboxes.routing import assignment_sql, policy, selectors
from messenger.geo import GeoLocation
from messenger.kernel.deadlines import deadline_schedule, deadlines_cancel
from messenger.realtime import publish_on_commit
from tenants.accounts.models import User
from tenants.organization.models import Branch

ESCALATION = "escalation"
PRESENCE_GRACE = "presence_grace"
Reason = ConversationAssignment.Reason


@dataclass(frozen=True)
class BranchDecision:
    branch: Branch | None
    reason: str
    out_of_hours: bool  # nobody may take it now: wait with the auto message, or offline


def _region_reason(geo: GeoLocation | None, branch: Branch | None, rule_used: bool) -> str:
    target = branch.name if branch else "—"
    if geo is None or not geo.country_code:
        return _("Region unknown → default branch %(branch)s") % {"branch": target}
    where = geo.describe(translation.get_language() or "en")
    if rule_used:
        return _("GeoIP: %(region)s → %(branch)s") % {"region": where, "branch": target}
    return _("GeoIP: %(region)s, no rule → default branch %(branch)s") % {
        "region": where,
        "branch": target,
    }


def branch_decide(*, geo: GeoLocation | None, at: Any = None) -> BranchDecision:
    """Region → branch (rules, else default), then business hours and the fallback order."""
    active = {b.pk: b for b in Branch.objects.filter(is_active=True)}
    default = next((b for b in active.values() if b.is_default), None)
    choice = policy.branch_for_region(
        selectors.rules_for_policy(),
        country_code=geo.country_code if geo else "",
        region_code=geo.region_code if geo else "",
        usable_branch_ids=set(active),
        default_branch_id=default.pk if default else None,
    )
    branch = active.get(choice.branch_id) if choice.branch_id else None
    reason = _region_reason(geo, branch, choice.rule is not None)
    if branch is None or selectors.branch_is_open(branch, at):
        return BranchDecision(branch, reason, out_of_hours=False)
    config = RoutingSettings.current()
    if config.out_of_hours == RoutingSettings.OutOfHours.FALLBACK:
        for branch_id in config.fallback_branch_ids:
            fallback = active.get(branch_id)
            if fallback and fallback != branch and selectors.branch_is_open(fallback, at):
                return BranchDecision(
                    fallback,
                    reason + "; " + _("out of hours → %(branch)s") % {"branch": fallback.name},
                    False,
                )
    return BranchDecision(branch, reason + "; " + _("out of hours"), out_of_hours=True)


def availability(*, geo: GeoLocation | None) -> dict[str, Any]:
    """What the widget shows: can someone take a chat now, and the text when not."""
    decision = branch_decide(geo=geo)
    config = RoutingSettings.current()
    online = bool(decision.branch) and selectors.branch_has_online_operator(decision.branch)
    return {
        "online": online and not decision.out_of_hours,
        "out_of_hours": decision.out_of_hours,
        "out_of_hours_message": {
            "ru": config.out_of_hours_message_ru,
            "en": config.out_of_hours_message_en,
        },
    }


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


def _company_language() -> str:
    from tenants.companies.models import Company

    company = Company.objects.filter(schema_name=connection.schema_name).first()
    return company.language if company is not None else "en"


def _copy_assignment(source: Conversation, *, into: Conversation) -> None:
    for field in ("assignee_id", "status", "queued_at", "assigned_at", "opened_at", "branch_id"):
        setattr(into, field, getattr(source, field))
    into.assignee = source.assignee


def conversation_place(conversation: Conversation, *, geo: GeoLocation | None) -> BranchDecision:
    """Record where the visitor is and which branch the conversation lands in, and why; no
    one is assigned (an offline request waits there for the branch to follow it up)."""
    # The reason is stored text: write it in the company's language, not the visitor's.
    with translation.override(_company_language()):
        decision = branch_decide(geo=geo)
    if geo is not None:
        conversation.country_code = geo.country_code
        conversation.region_code = geo.region_code
        conversation.region_name = geo.region_name
    conversation.branch = decision.branch
    conversation.routing_reason = decision.reason[:300]
    conversation.save(
        update_fields=["country_code", "region_code", "region_name", "branch", "routing_reason"]
    )
    return decision


def conversation_route(conversation: Conversation, *, geo: GeoLocation | None) -> None:
    """Route a new conversation: place it in its branch, then assign it, or keep it waiting
    with the out-of-hours message. The caller announces the new conversation to the audience
    this leaves it with."""
    decision = conversation_place(conversation, geo=geo)
    if decision.out_of_hours:
        _assign(conversation, None, reason=Reason.QUEUE, note=decision.reason, announce=False)
        _out_of_hours_message(conversation)
        return
    assign_next(conversation, reason=Reason.ROUTING, note=decision.reason, announce=False)


def _out_of_hours_message(conversation: Conversation) -> None:
    from inboxes.conversations.services import message_create

    config = RoutingSettings.current()
    text = (
        config.out_of_hours_message_ru
        if conversation.inbox.language == "ru"
        else config.out_of_hours_message_en
    )
    if text.strip():
        message_create(conversation=conversation, sender_type="system", body=text, client_id=None)


def queue_drain(branch: Branch, *, limit: int = 100) -> int:
    """Assign waiting conversations of the branch, oldest first, while someone has room."""
    assigned = 0
    while assigned < limit:
        with transaction.atomic():
            locked_branch = _locked_branch(branch.pk)
            waiting = (
                Conversation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("contact", "assignee")
                .annotate(escalation_timeout=_timeout_subquery())
                .filter(branch=locked_branch, queued_at__isnull=False, assignee__isnull=True)
                .exclude(status=Conversation.Status.CLOSED)
                .order_by("queued_at", "pk")
                .first()
            )
            if waiting is None:
                return assigned
            people, names = selectors.candidates_named(locked_branch)
            chosen = _claim(policy.operator_preference(people), people, names)
            if chosen is None:
                return assigned
            _assign(
                waiting,
                chosen,
                reason=Reason.ROUTING,
                note=ConversationAssignment.NOTE_FROM_QUEUE,
            )
            assigned += 1
    return assigned


def queues_drain_for(user: User) -> int:
    return sum(queue_drain(branch) for branch in user.branches.filter(is_active=True))


@transaction.atomic
def conversation_opened(*, conversation: Conversation, user: User) -> bool:
    """The assignee opened the dialog: the escalation timer stops for good."""
    locked = _locked_conversation(conversation.pk)
    if locked.assignee_id != user.pk or locked.opened_at is not None:
        return False
    locked.opened_at = timezone.now()
    locked.save(update_fields=["opened_at"])
    deadlines_cancel(kind=ESCALATION, object_id=locked.pk)
    conversation.opened_at = locked.opened_at
    return True


def _escalation_preference(
    candidates: list[policy.Candidate], tried: set[int], previous: int
) -> list[int]:
    # Those who have not had it yet first; then anyone but the one who just let it wait.
    fresh = policy.operator_preference(candidates, exclude=tried)
    again = policy.operator_preference(candidates, exclude={previous, *fresh})
    return fresh + again


@transaction.atomic
def escalation_fire(conversation_id: int, assignment_id: int) -> str:
    """The assignee did not open the chat in time: pass it on. A stale timer does nothing.

    The reading (the history, the candidates, the order to try them in) comes before any lock;
    under the conversation's lock only what may have changed meanwhile is checked again (the
    chat and its current assignment), and the operator is claimed like every assigner does."""
    state = (
        Conversation.objects.filter(pk=conversation_id)
        .values("branch_id", "status", "opened_at", "assignee_id")
        .first()
    )
    if state is None or state["branch_id"] is None:
        return "gone"
    if (
        state["status"] == Conversation.Status.CLOSED
        or state["opened_at"] is not None
        or state["assignee_id"] is None
    ):
        return "stale"
    # Newest first: the first is the current assignment, the rest say who has had it.
    history = list(
        ConversationAssignment.objects.filter(conversation_id=conversation_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", "assignee_id")
    )
    if not history or history[0][0] != assignment_id:
        return "stale"
    previous = state["assignee_id"]
    tried = {assignee for _pk, assignee in history if assignee is not None}
    candidates, names = selectors.candidates_named(Branch(pk=state["branch_id"]))
    preference = _escalation_preference(candidates, tried, previous)

    conversation = _locked_conversation(conversation_id)
    current = (
        conversation.assignments.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    )
    if (
        conversation.status == Conversation.Status.CLOSED
        or conversation.opened_at is not None
        or conversation.branch_id != state["branch_id"]
        or conversation.assignee_id != previous
        or current != assignment_id
    ):
        return "stale"
    chosen = _claim(preference, candidates, names)
    if chosen is not None:
        _assign(
            conversation,
            chosen,
            reason=Reason.ESCALATION,
            note=ConversationAssignment.NOTE_NOT_OPENED,
            timer_pending=False,
        )
        return "passed"
    _assign(
        conversation,
        None,
        reason=Reason.ESCALATION,
        note=ConversationAssignment.NOTE_NOT_OPENED_NOBODY_FREE,
        timer_pending=False,
    )
    branch = Branch.objects.only("name").get(pk=state["branch_id"])
    publish_on_commit(
        "routing.alert",
        {
            "conversation_id": conversation.pk,
            "branch_id": branch.pk,
            "message": _("A chat waits in %(branch)s: nobody else is free to take it.")
            % {"branch": branch.name},
        },
        to=[recipients.staff_group()],
    )
    return "queued"


def transfer_targets(branch: Branch) -> list[dict[str, Any]]:
    """The branch's operators with their status and load, for the transfer dialog."""
    return [
        {
            "id": u.pk,
            "full_name": u.full_name,
            "status": u.status,
            "load": u.load,
            "capacity": u.capacity,
        }
        for u in selectors.operators_with_load(branch, online_only=False).order_by("full_name")
    ]


@transaction.atomic
def conversation_transfer(
    *,
    conversation: Conversation,
    actor: User,
    branch: Branch,
    operator: User | None = None,
    note: str = "",
) -> Conversation:
    """Pass a chat to another branch: to its first free operator, or to a chosen one."""
    branch = Branch.objects.get(pk=branch.pk)
    locked = _locked_conversation(conversation.pk)
    if locked.assignee_id != actor.pk and not actor.is_supervisor_or_admin:
        raise ValidationError(_("You can only transfer a chat you are handling."))
    if locked.status == Conversation.Status.CLOSED:
        raise ValidationError(_("A closed chat cannot be transferred."))
    if not branch.is_active:
        raise ValidationError(_("This branch is inactive."))
    if operator is not None and (
        not operator.is_active or not operator.branches.filter(pk=branch.pk).exists()
    ):
        raise ValidationError(
            _("This person does not work in %(branch)s.") % {"branch": branch.name}
        )
    old_branch = locked.branch
    locked.branch = branch
    locked.save(update_fields=["branch"])
    note = (note or "").strip()
    if operator is not None:
        _assign(locked, operator, reason=Reason.TRANSFER, actor=actor, note=note)
    else:
        assigned = assign_next(
            locked, reason=Reason.TRANSFER, actor=actor, note=note, exclude={actor.pk}
        )
        if assigned is None:
            locked.refresh_from_db()
    if old_branch is not None and old_branch != branch:
        transaction.on_commit(lambda: queue_drain(old_branch))
    conversation.refresh_from_db()
    return conversation


@transaction.atomic
def operator_status_set(*, user: User, status: str) -> User:
    if status not in User.Status.values:
        raise ValidationError({"status": [_("Choose online, away, busy or offline.")]})
    User.objects.filter(pk=user.pk).update(status=status, status_changed_at=timezone.now())
    user.status = status
    publish_on_commit(
        "operator.status",
        {"user_id": user.pk, "status": status},
        to=[recipients.staff_group(), recipients.user_group(user.pk)],
    )
    if status == User.Status.ONLINE:
        transaction.on_commit(lambda: queues_drain_for(user))
    return user


def operator_capacity_set(*, user: User, capacity: int | None) -> User:
    if capacity is not None and not 1 <= capacity <= 100:
        raise ValidationError({"capacity": [_("Capacity is a number from 1 to 100, or empty.")]})
    User.objects.filter(pk=user.pk).update(capacity=capacity)
    user.capacity = capacity
    transaction.on_commit(lambda: queues_drain_for(user))
    return user


def presence_gone(*, user_id: int) -> None:
    """The user's last socket closed: set them offline unless one reappears in the grace."""
    deadline_schedule(
        kind=PRESENCE_GRACE,
        object_id=user_id,
        due_at=timezone.now() + timedelta(seconds=settings.PRESENCE_GRACE_SECONDS),
    )


def presence_grace_fire(user_id: int) -> str:
    from inboxes.presence import user_online

    if user_online(schema_name=connection.schema_name, user_id=user_id):
        return "back"
    user = User.objects.filter(pk=user_id).exclude(status=User.Status.OFFLINE).first()
    if user is None:
        return "already offline"
    operator_status_set(user=user, status=User.Status.OFFLINE)
    return "offline"
