"""Phase 3 of bench/routing.py: escalation deadlines fired by a real `deadlines_run` worker
while new chats keep arriving, and how late each fired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from _routing_world import (
    BULK,
    ESCALATION,
    FAR_OBJECT_ID,
    GOAL_ASSIGN_P99_MS,
    GOAL_LATENESS_P99_S,
    LEAD_S,
    POLL_S,
    PROBE_EVERY_S,
    RUNNER_PROCESSES,
    RUNNER_THREADS,
    SENTINEL_KIND,
    Plan,
    World,
    chats_make,
    distribution,
    open_chats_close,
)
from _stack import REPO_DIR, Report, log, stopwatch

# --- 3. escalation with a real worker ---------------------------------------------------------


class Worker:
    """The deadline runner, `manage.py deadlines_run` (as `make run` and production start
    it), with the bench's environment.

    It starts as soon as migrate_schemas has created the deadline table, so its start-up (a
    Python process importing Django) overlaps the set-up instead of the timings; as in
    production it then runs throughout, looking for due rows every 0.1 s.
    """

    def __init__(self, workdir: Path) -> None:
        self.logfile = workdir / "worker.log"
        command = [
            sys.executable,
            str(REPO_DIR / "manage.py"),
            "deadlines_run",
            "--threads",
            str(RUNNER_THREADS),
            "--processes",
            str(RUNNER_PROCESSES),
        ]
        self.started = time.monotonic()
        with self.logfile.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_DIR,
                env=os.environ.copy(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.stopped: dict[str, Any] | None = None

    def check(self) -> None:
        if self.process.poll() is not None:
            tail = self.log_tail()
            raise RuntimeError(f"the worker exited with {self.process.returncode}: {tail}")

    def log_tail(self, lines: int = 8) -> list[str]:
        return self.logfile.read_text(errors="replace").strip().splitlines()[-lines:]

    def ready(self, schema: str, timeout: float) -> float:
        """Wait until the runner has fired a sentinel deadline (due at once); the seconds
        since the worker was started."""
        from django.utils import timezone

        from messenger.kernel.models import Deadline

        sentinel = Deadline.objects.create(
            schema_name=schema, kind=SENTINEL_KIND, object_id=0, due_at=timezone.now()
        )
        stop_at = time.monotonic() + timeout
        while time.monotonic() < stop_at:
            self.check()
            if Deadline.objects.filter(pk=sentinel.pk, done_at__isnull=False).exists():
                return time.monotonic() - self.started
            time.sleep(0.1)
        raise RuntimeError("the worker did not fire a due deadline in time")

    def stop(self, patience: float) -> dict[str, Any]:
        """SIGTERM (warm shutdown: the running sweep finishes), SIGKILL after `patience` s.

        What is left of the runner's process group (its own session, see __init__) is ended
        too.
        """
        if self.stopped is not None:
            return self.stopped
        killed = False
        with stopwatch() as elapsed:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=patience)
                except subprocess.TimeoutExpired:
                    self.process.kill()  # its open batch rolls back: the rows stay pending
                    self.process.wait(timeout=10)
                    killed = True
            self._group_end()
        self.stopped = {
            "exit_code": self.process.returncode,
            "stop_s": round(elapsed(), 2),
            "killed": killed,
        }
        return self.stopped

    def _group_end(self, patience: float = 5.0) -> None:
        group = self.process.pid  # the session leader's pid is the group id
        for sig in (signal.SIGTERM, signal.SIGKILL):
            stop_at = time.monotonic() + patience
            try:
                os.killpg(group, sig)
                while time.monotonic() < stop_at:
                    os.killpg(group, 0)  # raises once no process of the group is left
                    time.sleep(0.1)
            except ProcessLookupError:
                return


class Probe(threading.Thread):
    """Assigns a fresh chat into the branch every PROBE_EVERY_S on its own connection."""

    def __init__(self, schema: str, chats: list[Any]) -> None:
        super().__init__(daemon=True)
        self.schema, self.chats = schema, chats
        self.durations: list[float] = []
        self.stop = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        from django.db import connection

        from inboxes.routing.services import assign_next

        try:
            connection.set_schema(self.schema)
            for chat in self.chats:
                if self.stop.wait(PROBE_EVERY_S):
                    break
                start = time.perf_counter()
                assign_next(chat, reason="routing")
                self.durations.append(time.perf_counter() - start)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()


def lateness(due: dict[int, datetime], at: dict[int, float], end: float) -> dict[str, Any]:
    """Seconds from due_at to `at` (epoch seconds) for every deadline. One missing from `at`
    counts as `end` − due_at, a lower bound; `lower_bound_from` is the smallest such value,
    so a percentile at or above it is only a lower bound."""
    values = [at.get(pk, end) - when.timestamp() for pk, when in due.items()]
    censored = [end - when.timestamp() for pk, when in due.items() if pk not in at]
    return {
        **distribution(values),
        "not_fired": len(censored),
        "lower_bound_from": round(min(censored), 3) if censored else None,
    }


def late(figure: dict[str, Any], key: str) -> str:
    bound = figure.get("lower_bound_from")
    prefix = "≥ " if bound is not None and figure[key] >= bound else ""
    return f"{prefix}{figure[key]:.3f} s"


def phase_escalation(report: Report, plan: Plan, world: World, worker: Worker | None) -> None:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from inboxes.models import ConversationAssignment
    from messenger.kernel.models import Deadline

    if worker is None:
        raise RuntimeError("the escalation phase needs the worker started with the migrate")
    figures = report.figures
    open_chats_close(world)
    probe = Probe(world.schema, [])
    try:
        firing = int(plan.fire_rate * plan.spread_s)
        log(f"escalation: {firing} conversations held by the operators")
        chats = chats_make(world, firing, assignees=world.operator_ids)
        tokens = dict(
            ConversationAssignment.objects.filter(conversation__in=chats).values_list(
                "conversation_id", "pk"
            )
        )
        probe.chats = chats_make(
            world, int((LEAD_S + plan.spread_s + plan.drain_grace_s) / PROBE_EVERY_S) + 10
        )
        figures["worker_ready_s"] = round(worker.ready(world.schema, timeout=90), 2)
        with stopwatch() as insert_elapsed, transaction.atomic():
            base = timezone.now() + timedelta(seconds=LEAD_S)
            step = 1.0 / plan.fire_rate
            rows = Deadline.objects.bulk_create(
                [
                    Deadline(
                        schema_name=world.schema,
                        kind=ESCALATION,
                        object_id=chat.pk,
                        token=tokens[chat.pk],
                        due_at=base + timedelta(seconds=i * step),
                    )
                    for i, chat in enumerate(chats)
                ],
                batch_size=BULK,
            )
            # The rest of the pending deadlines fall due an hour later: they are in the
            # partial index the runner reads, as escalations armed for later are.
            later = timezone.now() + timedelta(hours=1)
            far = Deadline.objects.bulk_create(
                [
                    Deadline(
                        schema_name=world.schema,
                        kind=ESCALATION,
                        object_id=FAR_OBJECT_ID + i,
                        due_at=later + timedelta(milliseconds=i),
                    )
                    for i in range(max(0, plan.deadlines - firing))
                ],
                batch_size=BULK,
            )
        figures["deadlines_insert_s"] = round(insert_elapsed(), 3)
        if insert_elapsed() > LEAD_S:
            log(f"warning: inserting took {insert_elapsed():.2f} s, more than the lead")
        due = {row.pk: row.due_at for row in rows}
        lo, hi = min(due), max(due)
        log(
            f"{len(rows) + len(far)} pending deadlines, {len(rows)} due from +{LEAD_S:.0f} s "
            f"at {plan.fire_rate:.0f}/s over {plan.spread_s:.0f} s; "
            f"watching for {LEAD_S + plan.spread_s + plan.drain_grace_s:.0f} s"
        )
        probe.start()
        seen: dict[int, float] = {}  # deadline id -> epoch seconds it was first seen done
        pending = set(due)
        stop_at = time.monotonic() + LEAD_S + plan.spread_s + plan.drain_grace_s
        while pending and time.monotonic() < stop_at:
            polled_at = time.time()  # the rows seen done were committed before this
            still = set(
                Deadline.objects.filter(pk__gte=lo, pk__lte=hi, done_at=None).values_list(
                    "pk", flat=True
                )
            )
            for pk in pending - still:
                seen[pk] = polled_at
            pending = still
            worker.check()
            time.sleep(POLL_S)
        window_end = time.time()
    finally:
        probe.stop.set()
        if probe.is_alive():
            probe.join(timeout=60)
        stopped = worker.stop(patience=plan.stop_patience_s)
        connection.set_schema(world.schema)
        Deadline.objects.filter(schema_name=world.schema, object_id__gte=FAR_OBJECT_ID).delete()
    if probe.error:
        raise RuntimeError(f"probe: {probe.error}")

    done = dict(
        Deadline.objects.filter(pk__gte=lo, pk__lte=hi, done_at__isnull=False).values_list(
            "pk", "done_at"
        )
    )
    fired_at = {pk: at.timestamp() for pk, at in done.items()}
    stop_end = time.time()
    per_chat = Counter(
        dict(
            ConversationAssignment.objects.filter(conversation__in=chats, reason="escalation")
            .order_by()
            .values("conversation_id")
            .annotate(n=Count("pk"))
            .values_list("conversation_id", "n")
        )
    )
    object_of = {row.pk: row.object_id for row in rows}
    duplicates = sum(1 for n in per_chat.values() if n > 1)
    without_effect = sum(1 for pk in done if per_chat.get(object_of[pk], 0) == 0)
    left = Deadline.objects.filter(pk__gte=lo, pk__lte=hi, done_at=None).count()
    failures = Deadline.objects.filter(pk__gte=lo, pk__lte=hi, attempts__gt=0).count()
    marked_cancelled = Deadline.objects.filter(
        pk__gte=lo, pk__lte=hi, done_at__isnull=False, last_error="cancelled"
    ).count()
    # The worker's pace: deadlines fired (done_at, before commit) per second of firing.
    times = sorted(fired_at.values())
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    fired_d = lateness(due, fired_at, stop_end)
    visible_d = lateness(due, seen, window_end)
    probe_d = distribution(probe.durations, 1000)
    figures["escalation"] = {
        "deadlines_pending": plan.deadlines,
        "deadlines_firing": len(rows),
        "spread_s": plan.spread_s,
        "lead_s": LEAD_S,
        "window_s": LEAD_S + plan.spread_s + plan.drain_grace_s,
        "offered_rate_per_s": plan.fire_rate,
        "runner_threads": RUNNER_THREADS,
        "runner_processes": RUNNER_PROCESSES,
        "fired_in_window": len(seen),
        "fired_while_stopping": len(done) - len(seen),
        "fired_rate_per_s": round(rate, 1),
        "worker_stop": stopped,
        "escalated_chats": len(per_chat),
        "duplicates": duplicates,
        "left_pending": left,
        "handler_failures": failures,
        "fired_without_escalation": without_effect,
        "fired_rows_marked_cancelled": marked_cancelled,
        "lateness_done_at_s": fired_d,
        "lateness_committed_s": visible_d,
        "poll_interval_s": POLL_S,
        "probe_assign_next_ms": probe_d,
    }
    n = len(rows)
    report.add(
        f"escalation: {plan.deadlines} pending, {n} due over {plan.spread_s:.0f} s "
        f"({plan.fire_rate:.0f}/s, one branch): committed in the "
        f"{LEAD_S + plan.spread_s + plan.drain_grace_s:.0f} s window",
        str(len(seen)),
    )
    report.add("escalation: runner pace (fired per second, done_at)", f"{rate:.0f}/s")
    report.add("escalation lateness (done_at − due_at) p50", late(fired_d, "p50"))
    report.add(
        "escalation lateness (done_at − due_at) p99",
        late(fired_d, "p99"),
        f"≤ {GOAL_LATENESS_P99_S:.0f} s",
        fired_d["p99"] <= GOAL_LATENESS_P99_S,
    )
    report.add(
        f"escalation lateness, committed (seen by a {POLL_S:.1f} s poll) p50",
        late(visible_d, "p50"),
    )
    report.add(
        f"escalation lateness, committed (seen by a {POLL_S:.1f} s poll) p99",
        late(visible_d, "p99"),
        f"≤ {GOAL_LATENESS_P99_S:.0f} s",
        visible_d["p99"] <= GOAL_LATENESS_P99_S,
    )
    report.add(
        "escalation: deadlines fired more than once (chats escalated > 1×)",
        str(duplicates),
        "0",
        duplicates == 0,
    )
    report.add(
        "escalation: left pending at the end (window + worker stop)", str(left), "0", left == 0
    )
    report.add(
        "escalation: fired while the worker stopped / handler failures",
        f"{len(done) - len(seen)} / {failures}",
    )
    report.add(
        f"assign_next into the branch while escalations fire p50 / p99, n={probe_d.get('n', 0)}",
        f"{probe_d.get('p50', 0):.1f} / {probe_d.get('p99', 0):.1f} ms",
        f"≤ {GOAL_ASSIGN_P99_MS:.0f} ms (p99)",
        bool(probe.durations) and probe_d["p99"] <= GOAL_ASSIGN_P99_MS,
    )
    figures["worker_log_tail"] = worker.log_tail()
