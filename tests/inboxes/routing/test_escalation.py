"""Escalation of unopened chats: deadlines in PostgreSQL fired once, by the real runner too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes.models import Conversation, ConversationAssignment, RoutingRule, RoutingSettings
from inboxes.routing import configuration, services
from inboxes.services import inbox_create
from messenger.kernel.deadlines import deadlines_fire_due
from messenger.kernel.models import Deadline
from tenants.organization.services import branch_create
from tests.inboxes.routing.conftest import new_chat, people
from tests.processes import database_url, wait_for

MANAGE_PY = Path(__file__).resolve().parents[3] / "manage.py"


def escalations(chat: Conversation) -> list[ConversationAssignment]:
    return list(ConversationAssignment.objects.filter(conversation=chat, reason="escalation"))


@pytest.mark.django_db
def test_an_unopened_chat_passes_to_another_operator_when_its_deadline_fires(inbox, main_branch):
    first, second = people(main_branch, 2, prefix="esc")
    chat = new_chat(inbox)
    holder = chat.assignee_id
    fired = deadlines_fire_due(now=timezone.now() + timedelta(minutes=5))
    chat.refresh_from_db()
    assert fired >= 1
    assert chat.assignee_id in {first.pk, second.pk} - {holder}
    assert len(escalations(chat)) == 1
    assert escalations(chat)[0].note == "not opened in time"


@pytest.mark.django_db
def test_opening_the_dialog_stops_the_timer_for_good(inbox, main_branch):
    people(main_branch, 2, prefix="open")
    chat = new_chat(inbox)
    holder = chat.assignee
    assert services.conversation_opened(conversation=chat, user=holder)
    deadlines_fire_due(now=timezone.now() + timedelta(hours=1))
    chat.refresh_from_db()
    assert chat.assignee == holder and escalations(chat) == []
    assert not Deadline.objects.filter(object_id=chat.pk, kind="escalation", done_at=None).exists()


@pytest.mark.django_db
def test_a_deadline_fires_once_however_often_the_worker_runs(inbox, main_branch):
    people(main_branch, 3, prefix="once")
    chat = new_chat(inbox)
    first = Deadline.objects.get(object_id=chat.pk, kind="escalation", done_at=None)
    just_after = first.due_at + timedelta(seconds=1)
    RoutingSettings.objects.update(escalation_timeout_seconds=3600)  # next timer: far away
    deadlines_fire_due(now=just_after)
    deadlines_fire_due(now=just_after)
    deadlines_fire_due(now=just_after)
    assert len(escalations(chat)) == 1
    first.refresh_from_db()
    assert first.done_at is not None and first.attempts == 0


@pytest.mark.django_db
def test_with_nobody_else_free_the_chat_waits_and_supervisors_are_alerted(
    inbox, main_branch, monkeypatch
):
    alerts: list[tuple[str, dict, list]] = []
    monkeypatch.setattr(
        "inboxes.routing.escalation.publish_on_commit",
        lambda event, payload, *, to: alerts.append((event, payload, list(to))),
    )
    only = people(main_branch, 1, prefix="alone")[0]
    chat = new_chat(inbox)
    assert chat.assignee_id == only.pk
    deadlines_fire_due(now=timezone.now() + timedelta(minutes=5))
    chat.refresh_from_db()
    assert chat.assignee_id is None and chat.status == "pending"
    alert = [a for a in alerts if a[0] == "routing.alert"]
    assert alert and alert[0][2] == ["t.co_acme.staff"]


@pytest.mark.django_db
def test_the_next_operator_is_not_the_same_one_while_others_exist(inbox, main_branch):
    team = people(main_branch, 3, prefix="rot")
    chat = new_chat(inbox)
    seen = [chat.assignee_id]
    for step in range(2):
        deadlines_fire_due(now=timezone.now() + timedelta(minutes=5 * (step + 1)))
        chat.refresh_from_db()
        seen.append(chat.assignee_id)
    assert len(set(seen)) == 3  # everyone had it once before anyone had it twice
    assert set(seen) == {u.pk for u in team}


def _runner() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url()}
    return subprocess.Popen(
        [sys.executable, str(MANAGE_PY), "deadlines_run", "--threads", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_until_polling(runner: subprocess.Popen) -> None:
    """Wait until `runner` fires deadlines: a probe of a kind nobody handles, due now, is
    marked done by the first look of a runner, whatever the runner took to start."""
    probe = Deadline.objects.create(
        schema_name="public", kind="test-probe", object_id=runner.pid, due_at=timezone.now()
    )

    def probe_fired() -> bool:
        assert runner.poll() is None, f"the deadline runner exited with {runner.returncode}"
        return Deadline.objects.filter(pk=probe.pk, done_at__isnull=False).exists()

    wait_for(probe_fired, what="the deadline runner's first look")


def test_the_deadline_runner_escalates_on_time_after_being_killed_and_restarted(live_db):
    """The runner is killed while a chat's timer is pending; the timer comes due while no
    runner is alive: the timer lives in PostgreSQL, so the restarted runner fires it, once.
    The next timer, due while the restarted runner is polling, fires within seconds of due."""
    with schema_context("co_initech"):
        branch = branch_create(name=f"Esc {time.time_ns()}", region="", timezone_name="UTC")
        team = people(branch, 2, prefix=f"w{branch.pk}-")
        inbox = inbox_create(name="Esc", allowed_domains=["x.test"])
        RoutingRule.objects.filter(country_code="YY").delete()  # only this test's code
        configuration.routing_rule_create(country_code="YY", region_code="", branch_id=branch.pk)
        config = RoutingSettings.current()
        config.escalation_timeout_seconds = 3600  # the test says when each timer comes due
        config.save()
        chat = new_chat(inbox, country_code="YY")
        holder = chat.assignee_id
    other = ({u.pk for u in team} - {holder}).pop()

    def timer() -> Deadline:
        return Deadline.objects.get(
            schema_name="co_initech", kind="escalation", object_id=chat.pk, done_at=None
        )

    def assignee() -> int | None:
        with schema_context("co_initech"):
            chat.refresh_from_db()
        return chat.assignee_id

    first = timer()
    worker = _runner()
    try:
        _wait_until_polling(worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        Deadline.objects.filter(pk=first.pk).update(due_at=timezone.now())  # due, no runner
        worker = _runner()
        wait_for(lambda: assignee() == other, what="the escalation to the other operator")

        second = timer()  # the new holder's, due in an hour; make it due in a second
        _wait_until_polling(worker)
        due_at = timezone.now() + timedelta(seconds=1)
        Deadline.objects.filter(pk=second.pk).update(due_at=due_at)
        wait_for(lambda: assignee() == holder, what="the escalation back to the first holder")
        second.refresh_from_db()
        # Soon after due, not at the next sweep: the runner looks every 0.1 s, but a loaded
        # machine may stall it for seconds, so the bound only tells "soon" from "an hour".
        assert (second.done_at - due_at).total_seconds() < 60

        with schema_context("co_initech"):
            # each timer fired once: one escalation each, none failed or retried
            assert len(escalations(chat)) == 2
            for fired in Deadline.objects.filter(pk__in=[first.pk, second.pk]):
                assert fired.done_at is not None and fired.attempts == 0
                assert fired.last_error == ""
            # the holder opens it: the third timer stops for good
            assert services.conversation_opened(conversation=chat, user=chat.assignee)
            assert not Deadline.objects.filter(
                schema_name="co_initech", kind="escalation", object_id=chat.pk, done_at=None
            ).exists()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        Deadline.objects.filter(kind="test-probe").delete()
        with schema_context("co_initech"):
            RoutingSettings.objects.update(escalation_timeout_seconds=240)
            RoutingRule.objects.filter(branch=branch).delete()
