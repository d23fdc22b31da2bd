#!/usr/bin/env python
"""Benchmark: routing — assignment latency and fairness, and escalation deadlines on time.

    python bench/routing.py            # full: 2,000 assignments, 10,000 deadlines over 20 s
    python bench/routing.py --quick    # 300 assignments, 2,000 deadlines over 8 s (< 60 s)
    python bench/routing.py --json     # also one JSON object with every figure as the last line

What is measured (bench/README.md, section `routing.py`, has the details; --quick figures in
brackets):

1. assignment decision latency: `assign_next(conversation, reason="routing")` with 200 online
   operators in the branch, for conversations created without routing (rows made directly with
   the branch set and no assignee); the call's whole transaction, commit and after-commit work
   (the real-time announce) included. p50/p95/p99 over N. For reference the whole
   widget path, `contact_create` + `conversation_start` (routing and announce), is timed too;
2. fairness: max − min of open chats per operator after the N assignments; then a concurrent
   burst, 8 threads with a database connection each assigning 1,600 [400] chats to the 200
   operators with capacity 8 [2]: nobody may end above capacity, and the spread;
3. escalation: 10,000 pending `Deadline` rows (kind "escalation"); 100 a second fall due over
   20 [8] s (token = the assignment id, conversations held by the operators, all in one
   branch), the rest an hour later. They are fired by the real runner, `manage.py
   deadlines_run --processes 2` (2 threads each). Lateness = done_at − due_at (the handler's
   clock) and = the moment the bench first sees the row committed − due_at; duplicates (a
   conversation escalated more than once), rows left pending; meanwhile a probe assigns a new
   chat into the same branch every 250 ms and its latency is recorded. `--rate` offers another
   pace;
4. the cost of finding due work: EXPLAIN (ANALYZE, BUFFERS) of the worker's due-deadline
   query with 10,000 pending rows of which 50 (and 5) are due;
5. the assignment latency again with a closed-chat history (100,000 [5,000] conversations)
   held by the same operators.

It works in its own database, `messenger_bench_routing`, dropped and recreated on the server of
DATABASE_URL (default postgres://postgres@127.0.0.1:5432; the embedded development servers when
no server answers) and dropped at the end (kept with --keep-db). Redis database 7 carries the
cache, the channel layer (its prefix comes from the database name) and the Celery broker. The
worker starts as soon as migrate_schemas has made the deadline table and runs until the
escalation phase ends.
Progress goes to stderr; stdout holds the table and, with --json, the JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _stack import Report, database_recreate, server_params  # noqa: E402

BENCH_DB = "messenger_bench_routing"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_DB = 7
SLUG = "bench-routing"
PASSWORD = "Bench-routing-2026!"
ESCALATION = "escalation"
SENTINEL_KIND = "bench.sentinel"  # no handler: the worker only marks it done
POLL_S = 0.1  # how often the bench looks for committed (fired) deadlines
RUNNER_THREADS = 2  # manage.py deadlines_run's default
RUNNER_PROCESSES = 2  # one per core, as the realtime bench runs uvicorn
FAR_OBJECT_ID = 2_000_000_000  # pending rows not due in the window point at no conversation
PROBE_EVERY_S = 0.25  # a new chat into the branch while escalations fire
LEAD_S = 2.0  # the first deadline is due this long after the insert starts
BULK = 2000  # rows per INSERT in bulk set-up

# Goals (the product's for routing and escalation).
GOAL_ASSIGN_P99_MS = 10.0
GOAL_SPREAD = 1
GOAL_LATENESS_P99_S = 1.0


@dataclass(frozen=True)
class Plan:
    operators: int  # online operators in the branch
    assignments: int  # timed assign_next calls
    starts: int  # timed conversation_start calls (reference)
    burst_threads: int
    burst_capacity: int  # chats in the burst = operators × capacity
    deadlines: int  # pending escalation deadlines in all
    fire_rate: float  # of which this many per second fall due during the window
    spread_s: float  # the window's length: fire_rate × spread_s deadlines fire in it
    drain_grace_s: float  # how long after the last due_at the worker may take
    history: int  # closed chats for the history re-run
    history_assignments: int  # timed assign_next calls with that history
    breakdown: int  # samples of the candidates query and of assign_next without announce
    stop_patience_s: float  # warm shutdown of the worker, then SIGKILL


PLANS = {
    "full": Plan(
        operators=200,
        assignments=2000,
        starts=200,
        burst_threads=8,
        burst_capacity=8,
        deadlines=10_000,
        fire_rate=100.0,
        spread_s=20.0,
        drain_grace_s=30.0,
        history=100_000,
        history_assignments=300,
        breakdown=200,
        stop_patience_s=15.0,
    ),
    "quick": Plan(
        operators=200,
        assignments=300,
        starts=20,
        burst_threads=8,
        burst_capacity=2,
        deadlines=10_000,
        fire_rate=100.0,
        spread_s=8.0,
        drain_grace_s=3.0,
        history=5000,
        history_assignments=30,
        breakdown=50,
        stop_patience_s=2.0,
    ),
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """p50/p95/p99/max (and n) of `values` × scale, rounded."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50) * scale, 3),
        "p95": round(percentile(values, 95) * scale, 3),
        "p99": round(percentile(values, 99) * scale, 3),
        "max": round(max(values) * scale, 3),
        "mean": round(statistics.fmean(values) * scale, 3),
    }


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:`; elapsed() gives the seconds spent in the block."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


# --- servers and environment ---------------------------------------------------------------


def url_with_path(url: str, path: str) -> str:
    """`url` with its path (database name or Redis db number) replaced."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(path)))


def postgres_answers(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(**server_params(url), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def redis_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 2):
            return True
    except OSError:
        return False


def redis_flush(url: str) -> None:
    """Empty the bench's own Redis database (broker queue, cache, nothing else uses it)."""
    import redis

    redis.Redis.from_url(url).flushdb()


def environment_prepare(db_name: str, redis_db: int) -> dict[str, Any]:
    """Reach (or start) PostgreSQL and Redis, recreate the bench database, set the environment
    that django.setup() and the worker read."""
    from messenger.devservers import DATA_DIR, ensure_services

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    embedded = []
    if not postgres_answers(db_url):
        os.environ.pop("DATABASE_URL", None)
        embedded.append("postgres")
    else:
        os.environ["DATABASE_URL"] = db_url
    if not redis_answers(redis_url):
        os.environ.pop("REDIS_URL", None)
        embedded.append("redis")
    else:
        os.environ["REDIS_URL"] = redis_url
    if embedded:
        log(f"no server answers for {', '.join(embedded)}: starting the embedded one(s)")
        DATA_DIR.mkdir(parents=True, exist_ok=True)  # pgserver wants its parent to exist
    services = ensure_services(db_name)
    params = server_params(services["DATABASE_URL"])
    database_recreate(params, db_name)
    redis_bench = url_with_path(services["REDIS_URL"], str(redis_db))
    redis_flush(redis_bench)  # a killed earlier run may have left queued tasks behind
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "messenger.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench",
            "STATIC_MANIFEST": "0",
            "FAST_PASSWORD_HASHER": "1",
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": url_with_path(services["DATABASE_URL"], db_name),
            "REDIS_URL": redis_bench,
            "CELERY_BROKER_URL": redis_bench,
            "CACHE_KEY_PREFIX": f"bench-{db_name}",
            "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
        }
    )
    os.environ.pop("CHANNEL_LAYER_PREFIX", None)  # derived from the database name
    os.environ.pop("CHANNEL_LAYER_URL", None)
    return {"embedded_servers": embedded, "server": params, "redis_url": redis_bench}


# --- set-up ----------------------------------------------------------------------------------


@dataclass
class World:
    schema: str
    branch: Any  # tenants.organization.models.Branch
    inbox: Any  # inboxes.models.Inbox
    operator_ids: list[int]


def world_make(plan: Plan) -> World:
    """A company (company_signup), its default branch with N online operators, an inbox."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from inboxes.services import inbox_create
    from tenants.accounts.models import User
    from tenants.companies.services import company_signup
    from tenants.organization.models import Branch
    from tenants.organization.services import operator_create

    result = company_signup(
        name="Bench Routing",
        slug=SLUG,
        admin_name="Bench Admin",
        email=f"admin@{SLUG}.example.com",
        password=PASSWORD,
        language="en",
        timezone_name="UTC",
    )
    schema = result.company.schema_name
    with schema_context(schema):
        branch = Branch.objects.get(is_default=True)  # where conversation_start routes to
        ids = []
        for n in range(plan.operators):
            user = operator_create(
                email=f"op{n:04d}@{SLUG}.example.com",
                full_name=f"Operator {n:04d}",
                password=PASSWORD,
                role="operator",
                branch_ids=[branch.pk],
            )
            ids.append(user.pk)
        User.objects.filter(pk__in=ids).update(status=User.Status.ONLINE, capacity=None)
        inbox = inbox_create(name="Site", allowed_domains=["bench.example.com"], language="en")
    connection.set_schema(schema)  # the rest of the run works in the company's schema
    return World(schema, branch, inbox, ids)


def chats_make(
    world: World, count: int, *, assignees: Sequence[int] = (), status: str = "open"
) -> list[Any]:
    """`count` conversations made directly (no routing), each with its own contact, in the
    branch; unassigned, or round-robin over `assignees` with an assignment row each."""
    from django.db import transaction
    from django.utils import timezone

    from inboxes.models import Contact, Conversation, ConversationAssignment

    now = timezone.now()
    with transaction.atomic():
        contacts = Contact.objects.bulk_create([Contact() for _ in range(count)], batch_size=BULK)
        chats = Conversation.objects.bulk_create(
            [
                Conversation(
                    inbox=world.inbox,
                    contact=contact,
                    branch=world.branch,
                    routing_reason="bench",
                    status=status,
                    assignee_id=assignees[i % len(assignees)] if assignees else None,
                    assigned_at=now if assignees else None,
                    closed_at=now if status == "closed" else None,
                )
                for i, contact in enumerate(contacts)
            ],
            batch_size=BULK,
        )
        if assignees:
            ConversationAssignment.objects.bulk_create(
                [
                    ConversationAssignment(
                        conversation=chat,
                        assignee_id=chat.assignee_id,
                        branch=world.branch,
                        reason="routing",
                        note="bench",
                    )
                    for chat in chats
                ],
                batch_size=BULK,
            )
    return chats


def open_chats_close(world: World) -> None:
    """Close every chat still open and cancel its pending timers (a clean slate per phase)."""
    from django.utils import timezone

    from inboxes.models import Conversation
    from messenger.kernel.models import Deadline

    now = timezone.now()
    Conversation.objects.exclude(status="closed").update(
        status="closed", closed_at=now, queued_at=None
    )
    Deadline.objects.filter(schema_name=world.schema, done_at=None).update(
        done_at=now, last_error="cancelled"
    )


def loads(world: World) -> dict[int, int]:
    """Open (open or pending) chats held by each operator, zeros included."""
    from inboxes.models import Conversation

    held = Counter(
        Conversation.objects.filter(
            assignee_id__in=world.operator_ids, status__in=("open", "pending")
        ).values_list("assignee_id", flat=True)
    )
    return {pk: held.get(pk, 0) for pk in world.operator_ids}


# --- 1. assignment latency and fairness ------------------------------------------------------


def assign_timed(chats: Sequence[Any], **kwargs: Any) -> list[float]:
    """assign_next on each chat, the seconds of each call (its commit included)."""
    from inboxes.routing.services import assign_next

    durations = []
    for chat in chats:
        start = time.perf_counter()
        assign_next(chat, reason="routing", **kwargs)
        durations.append(time.perf_counter() - start)
        if chat.assignee_id is None:
            raise AssertionError(f"chat {chat.pk} was not assigned")
    return durations


def queries_of_one_assignment(world: World) -> list[str]:
    """The SQL statements of one assign_next (first 90 characters each)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chat = chats_make(world, 1)[0]
    with CaptureQueriesContext(connection) as captured:
        assign_timed([chat])
    return [q["sql"][:90] for q in captured.captured_queries]


def phase_assignment(report: Report, plan: Plan, world: World) -> None:
    from inboxes.conversations.services import contact_create, conversation_start
    from inboxes.routing import selectors

    figures = report.figures
    log(f"assignment: {plan.assignments} assign_next calls, {plan.operators} operators online")
    warm = chats_make(world, 10)
    assign_timed(warm)  # first calls of the process: query compilation, connections
    chats = chats_make(world, plan.assignments)
    durations = assign_timed(chats)
    assign = distribution(durations, 1000)
    figures["assign_next_ms"] = assign
    for pct in ("p50", "p95"):
        report.add(
            f"assign_next, {plan.operators} operators, {pct}, n={assign['n']}",
            f"{assign[pct]:.2f} ms",
        )
    report.add(
        f"assign_next, {plan.operators} operators, p99, n={assign['n']}",
        f"{assign['p99']:.2f} ms",
        f"≤ {GOAL_ASSIGN_P99_MS:.0f} ms",
        assign["p99"] <= GOAL_ASSIGN_P99_MS,
    )

    spread_loads = loads(world)
    spread = max(spread_loads.values()) - min(spread_loads.values())
    figures["fairness_after_assignments"] = {
        "chats": len(warm) + len(chats),
        "max": max(spread_loads.values()),
        "min": min(spread_loads.values()),
        "spread": spread,
    }
    report.add(
        f"fairness after {len(warm) + len(chats)} assignments: max − min open chats",
        f"{spread} ({min(spread_loads.values())}–{max(spread_loads.values())})",
        f"≤ {GOAL_SPREAD}",
        spread <= GOAL_SPREAD,
    )

    # Where the time goes: the candidate query alone, the call without the announce.
    sample = plan.breakdown
    candidates = []
    for _ in range(sample):
        start = time.perf_counter()
        selectors.candidates_named(world.branch)
        candidates.append(time.perf_counter() - start)
    quiet = assign_timed(chats_make(world, sample), announce=False)
    figures["candidates_query_ms"] = distribution(candidates, 1000)
    figures["assign_next_no_announce_ms"] = distribution(quiet, 1000)
    figures["assign_next_queries"] = queries_of_one_assignment(world)
    report.add(
        "  of which the candidates query (load via Count), p50",
        f"{figures['candidates_query_ms']['p50']:.2f} ms",
    )
    report.add(
        "  assign_next without the announce, p50 / p99",
        f"{figures['assign_next_no_announce_ms']['p50']:.2f} / "
        f"{figures['assign_next_no_announce_ms']['p99']:.2f} ms",
    )
    report.add("  SQL statements per assign_next", str(len(figures["assign_next_queries"])))

    log(f"reference: {plan.starts} widget starts (contact_create + conversation_start)")
    starts = []
    for _ in range(plan.starts):
        start = time.perf_counter()
        contact = contact_create(page_url="https://bench.example.com/", user_agent="bench")
        chat, created = conversation_start(inbox=world.inbox, contact=contact)
        starts.append(time.perf_counter() - start)
        if not created or chat.assignee_id is None:
            raise AssertionError(f"widget start {chat.pk} was not routed to an operator")
    figures["conversation_start_ms"] = distribution(starts, 1000)
    report.add(
        f"widget start (contact + conversation_start) p50 / p99, n={len(starts)}",
        f"{figures['conversation_start_ms']['p50']:.2f} / "
        f"{figures['conversation_start_ms']['p99']:.2f} ms",
        "(reference)",
    )


# --- 2. concurrent burst -----------------------------------------------------------------------


def phase_burst(report: Report, plan: Plan, world: World) -> None:
    from django.db import connection

    from inboxes.models import Conversation
    from inboxes.routing.services import assign_next
    from tenants.accounts.models import User

    open_chats_close(world)
    User.objects.filter(pk__in=world.operator_ids).update(capacity=plan.burst_capacity)
    total = plan.operators * plan.burst_capacity
    log(f"burst: {plan.burst_threads} threads assign {total} chats, capacity {plan.burst_capacity}")
    chats = chats_make(world, total)
    slices = [chats[i :: plan.burst_threads] for i in range(plan.burst_threads)]
    durations: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    gate = threading.Barrier(plan.burst_threads)

    def assigner(mine: list[Any]) -> None:
        mine_durations = []
        try:
            connection.set_schema(world.schema)
            gate.wait()
            for chat in mine:
                start = time.perf_counter()
                assign_next(chat, reason="routing")
                mine_durations.append(time.perf_counter() - start)
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()
            with lock:
                durations.extend(mine_durations)

    threads = [threading.Thread(target=assigner, args=(s,)) for s in slices]
    with stopwatch() as elapsed:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = elapsed()
    held = loads(world)
    over = sum(1 for n in held.values() if n > plan.burst_capacity)
    queued = Conversation.objects.filter(
        pk__in=[c.pk for c in chats], assignee__isnull=True
    ).count()
    spread = max(held.values()) - min(held.values())
    figures = report.figures
    figures["burst"] = {
        "threads": plan.burst_threads,
        "chats": total,
        "capacity": plan.burst_capacity,
        "wall_s": round(wall, 3),
        "chats_per_s": round(total / wall, 1),
        "assign_ms": distribution(durations, 1000),
        "errors": errors[:10],
        "error_count": len(errors),
        "max": max(held.values()),
        "min": min(held.values()),
        "spread": spread,
        "over_capacity": over,
        "left_unassigned": queued,
    }
    report.add(
        f"burst: {total} chats by {plan.burst_threads} threads, errors",
        str(len(errors)),
        "0",
        not errors,
    )
    report.add(f"burst: operators above capacity {plan.burst_capacity}", str(over), "0", over == 0)
    report.add(
        "burst: max − min open chats per operator",
        f"{spread} ({min(held.values())}–{max(held.values())})",
        f"≤ {GOAL_SPREAD}",
        spread <= GOAL_SPREAD,
    )
    report.add("burst: chats left unassigned", str(queued))
    report.add(
        "burst: throughput / assign_next p99 under contention",
        f"{total / wall:.0f}/s / {figures['burst']['assign_ms'].get('p99', 0):.1f} ms",
    )
    User.objects.filter(pk__in=world.operator_ids).update(capacity=None)


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


# --- 4. the due-deadline query ------------------------------------------------------------------


def due_query_explain(schema: str, pending: int, due: int) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the worker's due query with `pending` future rows and
    `due` due ones added (committed, analysed, removed afterwards)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from messenger.kernel.models import Deadline

    now = timezone.now()
    rows = Deadline.objects.bulk_create(
        [
            Deadline(
                schema_name=schema,
                kind=SENTINEL_KIND,
                object_id=i,
                due_at=now + timedelta(hours=1, seconds=i),
            )
            for i in range(pending)
        ]
        + [
            Deadline(
                schema_name=schema,
                kind=SENTINEL_KIND,
                object_id=i,
                due_at=now - timedelta(seconds=due - i),
            )
            for i in range(due)
        ],
        batch_size=BULK,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Deadline._meta.db_table}")
        with transaction.atomic():
            # Exactly the queryset of messenger.kernel.deadlines._fire_batch.
            query = (
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(done_at=None, due_at__lte=timezone.now())
                .order_by("due_at")[:200]
            )
            sql, params = query.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                text = [line for (line,) in cursor.fetchall()]
            transaction.set_rollback(True)  # the locks FOR UPDATE took
        pending_total = Deadline.objects.filter(done_at=None).count()
        table_total = Deadline.objects.count()
    finally:
        Deadline.objects.filter(pk__in=[r.pk for r in rows]).delete()
    if isinstance(plan, str):
        plan = json.loads(plan)
    root = plan[0]
    scans = list(_plan_nodes(root["Plan"]))
    scan = next((n for n in scans if "Scan" in n["Node Type"]), scans[-1])
    return {
        "pending_rows": pending_total,
        "table_rows": table_total,
        "due_rows": due,
        "scan": scan["Node Type"],
        "index": scan.get("Index Name"),
        "rows_examined": scan.get("Actual Rows", 0)
        + scan.get("Rows Removed by Filter", 0)
        + scan.get("Rows Removed by Index Recheck", 0),
        "rows_returned": root["Plan"].get("Actual Rows"),
        "shared_buffers": scan.get("Shared Hit Blocks", 0) + scan.get("Shared Read Blocks", 0),
        "execution_ms": round(root.get("Execution Time", 0.0), 3),
        "planning_ms": round(root.get("Planning Time", 0.0), 3),
        "plan_text": text,
    }


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def phase_due_query(report: Report, world: World) -> None:
    from django.utils import timezone

    from messenger.kernel.models import Deadline

    log("EXPLAIN ANALYZE of the due-deadline query")
    # Only the rows made here are pending while it is explained (the re-armed escalation
    # timers of phase 3 are cancelled); the done rows of phase 3 stay in the table.
    Deadline.objects.filter(done_at=None).update(done_at=timezone.now(), last_error="cancelled")
    results = {due: due_query_explain(world.schema, 10_000 - due, due) for due in (50, 5)}
    report.figures["due_query"] = {str(k): v for k, v in results.items()}
    for due, r in results.items():
        good = r["index"] == "deadline_pending_due" and r["rows_examined"] <= due + 1
        report.add(
            f"due query, {r['pending_rows']} pending / {due} due ({r['table_rows']} rows)",
            f"{r['scan']} {r['index'] or ''}".strip(),
            "deadline_pending_due",
            good,
        )
        report.add(
            f"  rows examined / buffers / execution, {due} due",
            f"{r['rows_examined']} / {r['shared_buffers']} / {r['execution_ms']:.2f} ms",
            f"≤ {due + 1} rows",
            r["rows_examined"] <= due + 1,
        )


# --- 5. history ---------------------------------------------------------------------------------


def candidates_explain(world: World) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the candidates query: conversation rows joined, buffers."""
    from django.db import connection

    from inboxes.routing import selectors

    sql, params = (
        selectors.operators_with_load(world.branch).only("pk", "capacity").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    root = plan[0]
    joined = max(
        (
            n.get("Actual Rows", 0) * n.get("Actual Loops", 1)
            for n in _plan_nodes(root["Plan"])
            if "Join Type" in n
        ),
        default=0,
    )
    return {
        "rows_joined": joined,
        "shared_buffers": root["Plan"].get("Shared Hit Blocks", 0)
        + root["Plan"].get("Shared Read Blocks", 0),
        "execution_ms": round(root.get("Execution Time", 0.0), 3),
    }


def phase_history(report: Report, plan: Plan, world: World) -> None:
    from django.db import connection

    from inboxes.models import Conversation
    from inboxes.routing import selectors

    figures = report.figures
    open_chats_close(world)
    before = candidates_explain(world)
    have = Conversation.objects.count()
    extra = max(0, plan.history - have)
    log(f"history: {extra} more closed chats held by the operators ({plan.history} in all)")
    for offset in range(0, extra, 20_000):
        chats_make(
            world, min(20_000, extra - offset), assignees=world.operator_ids, status="closed"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Conversation._meta.db_table}")
    closed = Conversation.objects.filter(status="closed").count()
    after = candidates_explain(world)
    timings = []
    for _ in range(30):
        start = time.perf_counter()
        selectors.candidates_named(world.branch)
        timings.append(time.perf_counter() - start)
    durations = assign_timed(chats_make(world, plan.history_assignments))
    result = distribution(durations, 1000)
    figures["history"] = {
        "closed_chats": closed,
        "candidates_before": before,
        "candidates_after": after,
        "candidates_query_ms": distribution(timings, 1000),
        "assign_next_ms": result,
    }
    report.add(
        f"candidates query, {have} → {closed} closed chats: rows joined",
        f"{before['rows_joined']} → {after['rows_joined']}",
    )
    report.add(
        "  buffers / execution (EXPLAIN ANALYZE)",
        f"{before['shared_buffers']} → {after['shared_buffers']} / "
        f"{before['execution_ms']:.1f} → {after['execution_ms']:.1f} ms",
    )
    report.add(
        f"assign_next with {closed} closed chats in history p50, n={result['n']}",
        f"{result['p50']:.2f} ms",
    )
    report.add(
        f"assign_next with {closed} closed chats in history p99",
        f"{result['p99']:.2f} ms",
        f"≤ {GOAL_ASSIGN_P99_MS:.0f} ms",
        result["p99"] <= GOAL_ASSIGN_P99_MS,
    )


# --- main ---------------------------------------------------------------------------------------


def run(report: Report, plan: Plan, phases: set[str]) -> None:
    """Migrate (the worker starting alongside), set up, then the phases in order."""
    report.figures["plan"] = asdict(plan)
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        worker: Worker | None = None
        try:
            report.figures["initial_migrate_s"], worker = migrate_and_worker(
                Path(tmp), with_worker="escalation" in phases
            )
            phases_run(report, plan, phases, worker)
        finally:
            if worker is not None:
                worker.stop(patience=plan.stop_patience_s)


def migrate_and_worker(workdir: Path, *, with_worker: bool) -> tuple[float, Worker | None]:
    """`manage.py migrate_schemas` in a fresh process; the worker is started as soon as the
    deadline table exists. The migrate's wall time and the worker."""
    import psycopg

    log("migrating the fresh database (public + company template)")
    command = [
        sys.executable,
        str(REPO_DIR / "manage.py"),
        "migrate_schemas",
        "--noinput",
        "-v",
        "0",
    ]
    worker = None
    params = {
        **server_params(os.environ["DATABASE_URL"]),
        "dbname": urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/"),
    }
    with stopwatch() as elapsed:
        migrate = subprocess.Popen(
            command,
            cwd=REPO_DIR,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        while with_worker and worker is None and migrate.poll() is None:
            with psycopg.connect(**params, autocommit=True) as conn:
                found = conn.execute("SELECT to_regclass('public.kernel_deadline')").fetchone()
            if found and found[0]:
                log("deadline table created: starting manage.py deadlines_run")
                worker = Worker(workdir)
            else:
                time.sleep(0.2)
        output, _ = migrate.communicate()
    if migrate.returncode != 0:
        sys.stderr.write(output.decode(errors="replace"))
        if worker is not None:
            worker.stop(patience=5)
        raise RuntimeError(f"migrate_schemas exited with {migrate.returncode}")
    if with_worker and worker is None:
        worker = Worker(workdir)
    return round(elapsed(), 2), worker


def phases_run(report: Report, plan: Plan, phases: set[str], worker: Worker | None) -> None:
    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    log(f"set-up: company, {plan.operators} online operators, an inbox")
    with stopwatch() as elapsed:
        world = world_make(plan)
    report.figures["setup_s"] = round(elapsed(), 2)
    report.add(
        f"set-up: migrate_schemas + company + {plan.operators} operators",
        f"{report.figures['initial_migrate_s']:.1f} + {elapsed():.1f} s",
    )
    steps: dict[str, Callable[[], None]] = {
        "assign": lambda: phase_assignment(report, plan, world),
        "burst": lambda: phase_burst(report, plan, world),
        "escalation": lambda: phase_escalation(report, plan, world, worker),
        "explain": lambda: phase_due_query(report, world),
        "history": lambda: phase_history(report, plan, world),
    }
    report.figures["phase_s"] = {}
    for name, step in steps.items():
        if name in phases:
            with stopwatch() as phase_elapsed:
                step()
            report.figures["phase_s"][name] = round(phase_elapsed(), 1)


PHASES = ("assign", "burst", "escalation", "explain", "history")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", 1)[0], epilog="Details: bench/README.md"
    )
    parser.add_argument(
        "--quick", action="store_true", help="300 assignments, 2,000 deadlines over 8 s (< 60 s)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print all figures as one JSON object, last line"
    )
    parser.add_argument("--assignments", type=int, help="timed assign_next calls (2000; 300)")
    parser.add_argument("--deadlines", type=int, help="pending deadlines (10000)")
    parser.add_argument("--rate", type=float, help="of which fall due per second (100)")
    parser.add_argument("--spread", type=float, help="seconds they fall due for (20; 8)")
    parser.add_argument("--history", type=int, help="closed chats in history (100000; 5000)")
    parser.add_argument(
        "--only", action="append", choices=PHASES, help="run only this phase (repeatable)"
    )
    parser.add_argument(
        "--db-name", default=BENCH_DB, help=f"database to recreate and drop (default {BENCH_DB})"
    )
    parser.add_argument(
        "--redis-db",
        type=int,
        default=REDIS_DB,
        help=f"Redis database for cache, channel layer, broker ({REDIS_DB})",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop it at the end")
    args = parser.parse_args(argv)

    mode = "quick" if args.quick else "full"
    base = PLANS[mode]
    plan = Plan(
        **{
            **asdict(base),
            **{
                k: v
                for k, v in {
                    "assignments": args.assignments,
                    "deadlines": args.deadlines,
                    "fire_rate": args.rate,
                    "spread_s": args.spread,
                    "history": args.history,
                }.items()
                if v is not None
            },
        }
    )
    if plan.assignments < 10 or plan.deadlines < 10 or plan.spread_s <= 0 or plan.fire_rate <= 0:
        parser.error("need at least 10 assignments, 10 deadlines, a positive spread and rate")
    if "bench" not in args.db_name:
        parser.error("the database gets dropped: its name must contain 'bench'")

    load_before = os.getloadavg()[0]
    report = Report()
    error: str | None = None
    with stopwatch() as elapsed:
        env = environment_prepare(args.db_name, args.redis_db)
        try:
            run(report, plan, set(args.only or PHASES))
        except Exception as exc:  # the table still shows what was measured
            error = f"{type(exc).__name__}: {exc}"
            log(f"failed: {error}")
        finally:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            if args.keep_db:
                log(f"kept database {args.db_name} and Redis database {args.redis_db}")
            else:
                database_recreate(env["server"], args.db_name, drop_only=True)
                redis_flush(env["redis_url"])
    report.figures.update(
        mode=mode,
        embedded_servers=env["embedded_servers"],
        cpus=os.cpu_count(),
        load_average={"before": load_before, "after": os.getloadavg()[0]},
        wall_s=round(elapsed(), 1),
        passed=report.passed and error is None,
        error=error,
        when=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    print(
        f"Routing benchmark ({mode}): {os.cpu_count()} CPUs, wall time {elapsed():.1f} s, "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(report.table())
    if error is not None:
        print(f"ERROR: {error}")
    if args.json:
        print(json.dumps(report.figures, sort_keys=True, default=str))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
