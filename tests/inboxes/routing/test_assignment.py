"""Assignment into a branch: online only, least loaded, capacity, queue, transfer, history."""

from __future__ import annotations

from collections import Counter

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from inboxes.conversations import services as conversations
from inboxes.models import Conversation, ConversationAssignment, RoutingRule, RoutingSettings
from inboxes.routing import configuration, services
from tenants.accounts.models import User
from tenants.organization.models import Branch
from tests.inboxes.routing.conftest import new_chat, people

pytestmark = pytest.mark.django_db


def test_only_online_operators_of_the_branch_get_new_chats(inbox, main_branch):
    online = people(main_branch, 1, prefix="on")[0]
    for status in ("away", "busy", "offline"):
        people(main_branch, 1, prefix=status, status=status)
    chats = [new_chat(inbox) for _ in range(3)]
    assert {c.assignee_id for c in chats} == {online.pk}


def test_a_thousand_chats_spread_evenly_over_ten_operators(inbox, main_branch):
    operators = people(main_branch, 10, prefix="even")
    admin = User.objects.filter(role="admin").first()
    User.objects.filter(pk=admin.pk).update(status="offline")
    for _ in range(1000):
        new_chat(inbox)
    load = Counter(
        Conversation.objects.filter(assignee__in=operators).values_list("assignee_id", flat=True)
    )
    assert sorted(load.values()) == [100] * 10


def test_at_capacity_an_operator_counts_as_busy_and_the_chat_waits(inbox, main_branch):
    only = people(main_branch, 1, prefix="cap", capacity=2)[0]
    first, second, third = new_chat(inbox), new_chat(inbox), new_chat(inbox)
    assert [first.assignee_id, second.assignee_id] == [only.pk, only.pk]
    third.refresh_from_db()
    assert third.assignee_id is None and third.status == "pending"
    assert third.queued_at is not None


def test_waiting_chats_are_assigned_oldest_first_when_someone_frees_up(
    inbox, main_branch, django_capture_on_commit_callbacks
):
    only = people(main_branch, 1, prefix="q", capacity=1)[0]
    busy = new_chat(inbox)
    older, newer = new_chat(inbox), new_chat(inbox)
    assert busy.assignee_id == only.pk
    with django_capture_on_commit_callbacks(execute=True):
        conversations.conversation_close(conversation=busy, actor=only)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.assignee_id == only.pk and older.queued_at is None
    assert newer.assignee_id is None


def test_coming_online_takes_the_queue(inbox, main_branch, django_capture_on_commit_callbacks):
    late = people(main_branch, 1, prefix="late", status="offline")[0]
    waiting = new_chat(inbox)
    assert waiting.assignee_id is None
    with django_capture_on_commit_callbacks(execute=True):
        services.operator_status_set(user=late, status="online")
    waiting.refresh_from_db()
    assert waiting.assignee_id == late.pk


def test_region_rule_routes_and_the_reason_is_recorded(inbox, yekaterinburg):
    people(yekaterinburg, 1, prefix="ekb")
    configuration.routing_rule_create(
        country_code="RU", region_code="RU-SVE", branch_id=yekaterinburg.pk
    )
    chat = new_chat(
        inbox,
        country_code="RU",
        region_code="SVE",
        region_name="Sverdlovsk Oblast",
        region_name_ru="Свердловская область",
    )
    chat.refresh_from_db()
    assert chat.branch == yekaterinburg
    assert chat.routing_reason == "GeoIP: Sverdlovsk Oblast → Yekaterinburg"
    unknown = new_chat(inbox)
    unknown.refresh_from_db()
    assert unknown.branch.is_default
    assert unknown.routing_reason.startswith("Region unknown → default branch")


def test_out_of_hours_the_chat_waits_with_the_auto_message(inbox, main_branch):
    people(main_branch, 1, prefix="night")
    configuration.business_hours_replace(
        branch=main_branch,
        intervals=[
            (d, __import__("datetime").time(0, 0), __import__("datetime").time(0, 1))
            for d in range(7)
        ],
    )
    chat = new_chat(inbox)
    chat.refresh_from_db()
    assert chat.status == "pending" and chat.assignee_id is None
    assert "out of hours" in chat.routing_reason
    assert chat.messages.get().sender_type == "system"


def test_out_of_hours_fallback_hands_the_chat_to_the_next_open_branch(
    inbox, main_branch, yekaterinburg
):
    import datetime as dt

    configuration.business_hours_replace(
        branch=main_branch, intervals=[(d, dt.time(0, 0), dt.time(0, 1)) for d in range(7)]
    )
    configuration.routing_settings_update(
        escalation_timeout_seconds=240,
        out_of_hours="fallback",
        fallback_branch_ids=[yekaterinburg.pk],
        out_of_hours_message_ru="",
        out_of_hours_message_en="",
    )
    ekb = people(yekaterinburg, 1, prefix="fb")[0]
    chat = new_chat(inbox)
    chat.refresh_from_db()
    assert chat.branch == yekaterinburg and chat.assignee_id == ekb.pk


def test_transfer_to_the_first_free_operator_of_another_branch(inbox, main_branch, yekaterinburg):
    holder = people(main_branch, 1, prefix="holder")[0]
    receiver = people(yekaterinburg, 1, prefix="recv")[0]
    chat = new_chat(inbox)
    services.conversation_transfer(
        conversation=chat, actor=holder, branch=yekaterinburg, note="Client is in Yekaterinburg"
    )
    chat.refresh_from_db()
    assert (chat.branch, chat.assignee) == (yekaterinburg, receiver)
    last = ConversationAssignment.objects.filter(conversation=chat).last()
    assert (last.reason, last.actor, last.note) == (
        "transfer",
        holder,
        "Client is in Yekaterinburg",
    )


def test_transfer_to_a_chosen_operator_and_the_history_shows_every_change(
    inbox, main_branch, yekaterinburg
):
    holder = people(main_branch, 1, prefix="h")[0]
    chosen = people(yekaterinburg, 2, prefix="c", status="away")[1]
    chat = new_chat(inbox)
    services.conversation_transfer(
        conversation=chat, actor=holder, branch=yekaterinburg, operator=chosen
    )
    history = list(
        ConversationAssignment.objects.filter(conversation=chat).values_list(
            "reason", "assignee__full_name"
        )
    )
    assert history == [("routing", "h 0"), ("transfer", "c 1")]
    targets = services.transfer_targets(yekaterinburg)
    assert [(t["full_name"], t["status"], t["load"]) for t in targets] == [
        ("c 0", "away", 0),
        ("c 1", "away", 1),
    ]


def test_transfer_is_refused_with_a_reason(inbox, main_branch, yekaterinburg):
    holder, other = people(main_branch, 2, prefix="r")
    chat = new_chat(inbox)
    not_holder = other if chat.assignee_id == holder.pk else holder
    with pytest.raises(ValidationError, match="only transfer a chat you are handling"):
        services.conversation_transfer(conversation=chat, actor=not_holder, branch=yekaterinburg)
    actual = User.objects.get(pk=chat.assignee_id)
    Branch.objects.filter(pk=yekaterinburg.pk).update(is_active=False)
    yekaterinburg.refresh_from_db()
    with pytest.raises(ValidationError, match="inactive"):
        services.conversation_transfer(conversation=chat, actor=actual, branch=yekaterinburg)
    with pytest.raises(ValidationError, match="does not work in"):
        services.conversation_transfer(
            conversation=chat,
            actor=actual,
            branch=main_branch,
            operator=User.objects.get(email="op@example.com"),
        )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"country_code": "Russia", "region_code": "", "branch_id": "1"}, "country_code"),
        ({"country_code": "RU", "region_code": "SVERD-1", "branch_id": "1"}, "region_code"),
        ({"country_code": "RU", "region_code": "SVE", "branch_id": "99999"}, "branch"),
    ],
)
def test_bad_routing_rules_are_refused_with_a_reason(acme_schema, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        configuration.routing_rule_create(**kwargs)
    assert field in caught.value.message_dict
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("timeout", [0, 5, 86_400, "soon"])
def test_a_timeout_of_zero_or_of_days_is_refused(acme_schema, timeout):
    with pytest.raises(ValidationError) as caught:
        configuration.routing_settings_update(
            escalation_timeout_seconds=timeout,
            out_of_hours="wait",
            fallback_branch_ids=[],
            out_of_hours_message_ru="",
            out_of_hours_message_en="",
        )
    assert "escalation_timeout_seconds" in caught.value.message_dict


def test_overlapping_hours_are_refused_and_the_old_schedule_stays(main_branch):
    import datetime as dt

    configuration.business_hours_replace(
        branch=main_branch, intervals=[(0, dt.time(9), dt.time(18))]
    )
    with pytest.raises(ValidationError, match="overlap"):
        configuration.business_hours_replace(
            branch=main_branch,
            intervals=[(0, dt.time(9), dt.time(13)), (0, dt.time(12), dt.time(18))],
        )
    assert main_branch.hours.count() == 1


def _statements(captured) -> list[str]:  # type: ignore[no-untyped-def]
    skip = ("SAVEPOINT", "RELEASE SAVEPOINT", "SET search_path")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(skip)]


def test_assigning_a_new_chat_takes_at_most_four_statements(inbox, main_branch):
    """The chat's lock (with the timeout), the candidates (with their names), the operator's
    lock, and one statement writing the assignment row, the chat and the escalation timer."""
    people(main_branch, 30, prefix="count")
    RoutingSettings.current()  # made on first use; not part of an assignment's cost
    contact = conversations.contact_create()
    chat = Conversation.objects.create(inbox=inbox, contact=contact, branch=main_branch)
    with CaptureQueriesContext(connection) as captured:
        services.assign_next(chat, reason="routing")
    assert chat.assignee_id is not None
    assert len(_statements(captured)) <= 4, "\n".join(s[:100] for s in _statements(captured))


def test_an_escalation_takes_at_most_seven_statements(inbox, main_branch):
    """Unlocked: the chat, its history, the candidates. Locked: the chat, its current
    assignment, the operator. Then one statement of writes."""
    people(main_branch, 30, prefix="escc")
    chat = new_chat(inbox)
    token = chat.assignments.order_by("-pk").first().pk
    with CaptureQueriesContext(connection) as captured:
        assert services.escalation_fire(chat.pk, token) == "passed"
    assert len(_statements(captured)) <= 7, "\n".join(s[:100] for s in _statements(captured))


def test_an_escalation_passes_over_an_operator_who_filled_up_since_it_read_the_loads(
    inbox, main_branch, monkeypatch
):
    """The candidates are read before any lock; the operator it prefers is counted again with
    their row locked and, full by then, passed over for the next."""
    from inboxes.routing import policy, selectors

    (holder,) = people(main_branch, 1, prefix="race-holder")
    chat = new_chat(inbox)  # routing gives it to the only one online
    assert chat.assignee_id == holder.pk
    full, free = people(main_branch, 2, prefix="race", capacity=1)
    blocker = new_chat(inbox)
    Conversation.objects.filter(pk=blocker.pk).update(assignee=full, status="open")
    token = chat.assignments.order_by("-pk").first().pk
    real = selectors.candidates_named
    calls = []

    def stale_once(branch):  # type: ignore[no-untyped-def]
        people_now, names = real(branch)
        calls.append(branch)
        if len(calls) == 1:  # the unlocked reading: `full` still looks empty, and is preferred
            people_now = [
                policy.Candidate(c.user_id, -1 if c.user_id == full.pk else c.load, c.capacity)
                for c in people_now
            ]
        return people_now, names

    monkeypatch.setattr(selectors, "candidates_named", stale_once)
    assert services.escalation_fire(chat.pk, token) == "passed"
    chat.refresh_from_db()
    assert chat.assignee_id == free.pk  # `full` was tried first, counted again, and passed over


def test_the_from_the_queue_note_is_shown_in_the_readers_language(
    acme, inbox, main_branch, django_capture_on_commit_callbacks
):
    late = people(main_branch, 1, prefix="late", status="offline")[0]
    waiting = new_chat(inbox)
    # the queue is drained in an English request or task
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        services.operator_status_set(user=late, status="online")
    path = f"/api/v1/conversations/{waiting.pk}/assignments"
    client = acme.login()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    russian = client.get(path).json()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(path).json()
    assert [(h["assignee"], h["note"]) for h in russian if h["reason"] == "routing"][-1] == (
        "late 0",
        "из очереди",
    )
    assert [h["note"] for h in english if h["reason"] == "routing"][-1] == "from the queue"
