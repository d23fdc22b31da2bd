"""Set-up of bench/routing.py: its plans, the servers and environment, and the world it
measures in (a company with online operators, an inbox, chats)."""

from __future__ import annotations

import os
import socket
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from _stack import (
    database_recreate,
    log,
    percentile,
    product_environ,
    server_params,
    url_with_path,
)

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


# --- servers and environment ---------------------------------------------------------------


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
        product_environ(
            database_url=url_with_path(services["DATABASE_URL"], db_name),
            redis_url=redis_bench,
            cache_prefix=f"bench-{db_name}",
        )
    )
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["CELERY_BROKER_URL"] = redis_bench
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

    from billing.models import Plan
    from billing.services import subscription_set_paid
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
    subscription_set_paid(
        company=result.company, plan=Plan.objects.get(code="pro"), seats=plan.operators + 10
    )
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
