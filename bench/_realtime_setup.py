"""Set-up of bench/realtime.py: its plans, report, database and Redis, the seeded company and
the servers under test (the product under uvicorn, the floor relay)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _stack as stack
from _processes import Server
from _sockets import WIDGET_HOST
from _stack import (
    REPO_DIR,
    database_recreate,
    database_url_for,
    free_port,
    log,
    product_environ,
    server_params,
)

from messenger.serve import uvicorn_command

BENCH_DB = "messenger_bench_rt"
SCHEMA = "co_demo"
OPERATOR_PASSWORD = "Bench-realtime-2026!"
REDIS_DBS = (8, 10, 11, 12, 13, 14, 15)  # the first empty one is used (and flushed at the end)
LOCK_KEY = 0x6D62_7274  # pg advisory lock held for a whole run ("mbrt")

GOAL_P50_MS = 5.0
GOAL_P99_MS = 25.0
STEP_P99_LIMIT_MS = 100.0
GOAL_FRAMES_PER_S = 1000.0
GOAL_IDLE_SOCKETS = 10_000


@dataclass(frozen=True)
class Plan:
    visitors: int  # connected visitors, each with its own conversation
    operators: int
    http_visitors: int  # of the visitors, made through the widget's HTTP API
    rate: float  # msg/s of the latency run
    latency_s: float
    wait_s: float  # how long stragglers are waited for once sending stops
    quiet_s: float  # … unless no operator frame came for this long (bounds --quick's time)
    step_rates: tuple[int, ...]
    step_s: float
    idle: int  # idle sockets to hold (quick: the load phases' sockets count towards it)
    idle_separate: bool  # on a fresh server of their own, else next to the load phases' sockets
    idle_procs: int
    idle_hold_s: float
    floor_latency_s: float
    floor_steps: bool
    broadcast_s: float  # the reference run with every conversation unassigned
    workers: int = 2  # uvicorn worker processes (--workers; 2: one per core)


PLANS = {
    "full": Plan(
        visitors=1000,
        operators=50,
        http_visitors=50,
        rate=200,
        latency_s=20,
        wait_s=60,
        quiet_s=60,
        step_rates=(20, 40, 80, 160, 320, 640, 1280),
        step_s=5,
        idle=10_000,
        idle_separate=True,
        idle_procs=2,
        idle_hold_s=15,
        floor_latency_s=20,
        floor_steps=True,
        broadcast_s=10,
    ),
    "quick": Plan(
        visitors=1000,
        operators=50,
        http_visitors=10,
        rate=200,
        latency_s=8,
        wait_s=4,
        quiet_s=3,
        step_rates=(20, 40, 80, 160, 320),
        step_s=1.5,
        idle=2000,
        idle_separate=False,
        idle_procs=1,
        idle_hold_s=1,
        floor_latency_s=4,
        floor_steps=False,
        broadcast_s=3,
    ),
}


@dataclass
class Row(stack.Row):
    section: int = 0  # the table lists sections in order, whatever order they ran in


@dataclass
class Report(stack.Report):
    """The shared result table, in sections, with notes under it."""

    mode: str = ""
    notes: list[str] = field(default_factory=list)
    section: int = 0

    def add(self, metric: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(metric, value, goal, ok, self.section))

    def table(self) -> str:
        head = Row("metric", "value", "goal")
        everyone = [head, *sorted(self.rows, key=lambda r: getattr(r, "section", 0))]
        widths = [
            max(len(getattr(r, name)) for r in everyone) for name in ("metric", "value", "goal")
        ]
        lines = []
        for i, r in enumerate(everyone):
            verdict = "pass/fail" if i == 0 else r.verdict
            lines.append(
                f"{r.metric:<{widths[0]}}  {r.value:>{widths[1]}}  "
                f"{r.goal:<{widths[2]}}  {verdict}".rstrip()
            )
            if i == 0:
                lines.append("-" * len(lines[0]))
        error = [f"ERROR (the run stopped here): {self.error}"] if self.error else []
        return "\n".join([*lines, "", *self.notes, *error])


def ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    return "never" if math.isinf(value) else f"{value:.1f} ms"


def conversations_assign(params: dict[str, Any], *, assigned: bool) -> int:
    """Give the bench's conversations to the bench's operators round robin (as routing does:
    each chat has one operator), or make them all unassigned again (every operator sees them).
    Straight SQL between phases: the server reads the assignee from the row on each message."""
    import psycopg

    with psycopg.connect(**{**params, "dbname": BENCH_DB}, autocommit=True) as conn:
        if not assigned:
            return conn.execute(
                f"UPDATE {SCHEMA}.inboxes_conversation SET assignee_id = NULL, status = 'pending'"
            ).rowcount
        # No parameters: psycopg sends the text as it is (single % signs).
        return conn.execute(
            f"""
            WITH ops AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM {SCHEMA}.accounts_user WHERE email LIKE 'op%@bench.example.com'
            ), convs AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM {SCHEMA}.inboxes_conversation
            )
            UPDATE {SCHEMA}.inboxes_conversation c SET assignee_id = ops.id, status = 'open'
              FROM convs, ops
             WHERE convs.id = c.id AND ops.n = convs.n % (SELECT count(*) FROM ops)
            """
        ).rowcount


def redis_pick(base_url: str, wanted: int | None) -> tuple[str, int | None]:
    """A Redis URL on an empty database (so flushing it at the end touches nobody's data)."""
    import redis

    candidates = [wanted] if wanted is not None else list(REDIS_DBS)
    for db in candidates:
        url = urlunsplit(urlsplit(base_url)._replace(path=f"/{db}"))
        client = redis.Redis.from_url(url)
        if wanted is not None or client.dbsize() == 0:
            pid = client.info("server").get("process_id")
            return url, int(pid) if pid else None
    raise RuntimeError(f"no empty Redis database among {REDIS_DBS}; pass --redis-db")


def environment_prepare(redis_db: int | None) -> dict[str, Any]:
    """Reach (or start) the servers, recreate the bench database, point the environment at it."""
    import psycopg

    url = os.environ.get("DATABASE_URL")
    embedded = False
    if not url:
        default = "postgres://postgres@127.0.0.1:5432/postgres"
        try:
            psycopg.connect(**server_params(default), connect_timeout=3).close()
            url = default
        except psycopg.Error:  # no local server: the embedded ones
            from messenger.devservers import ensure_services

            log("DATABASE_URL is unset and no server answers: starting embedded servers")
            url = ensure_services(BENCH_DB)["DATABASE_URL"]
            embedded = True
    params = server_params(url)
    # One run per database server at a time: the database and Redis names are fixed.
    lock = psycopg.connect(**params, autocommit=True)
    row = lock.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()
    if not (row and row[0]):
        log("another bench/realtime.py run is going on against this server; waiting for it")
        lock.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    database_recreate(params, BENCH_DB)
    redis_url, redis_pid = redis_pick(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/8"), redis_db
    )
    os.environ.update(
        product_environ(
            database_url=database_url_for(url, BENCH_DB),
            redis_url=redis_url,
            cache_prefix=f"bench-{BENCH_DB}",
        )
    )
    os.environ.update(
        {
            "SECURE_COOKIES": "0",
            "PUBLIC_SCHEME": "http",
            "BASE_HOST": "localhost",
            # The generator stands where the load balancer does: each visitor it makes over
            # HTTP names an address of its own in X-Forwarded-For (http_visitors), so the
            # widget's per-address limits see many visitors, not one address making them all.
            "TRUSTED_PROXIES": "127.0.0.1/32",
        }
    )
    os.environ.pop("CHANNEL_LAYER_URL", None)
    return {
        "lock": lock,  # held (open) until the run ends
        "embedded_servers": embedded,
        "server": params,
        "redis_url": redis_url,
        "redis_pid": redis_pid,
    }


def _seats_for(schema_name: str, seats: int) -> None:
    """The bench company pays for enough seats for every operator it seeds."""
    from billing.models import Plan
    from billing.services import subscription_set_paid
    from tenants.companies.models import Company

    company = Company.objects.get(schema_name=schema_name)
    subscription_set_paid(company=company, plan=Plan.objects.get(code="pro"), seats=seats)


def seed_company(out: str, operators: int, contacts: int, conversations: int) -> None:
    """Inside Django (`manage.py shell`): the demo company, operators with panel sessions,
    contacts with visitor tokens, and a conversation for each of the first `conversations`."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_tenants.utils import schema_context

    from inboxes.demo import demo_seed
    from inboxes.models import Contact, Conversation, Inbox
    from inboxes.visitors.tokens import visitor_token_make
    from tenants.organization.services import operator_create

    demo_seed()
    _seats_for(SCHEMA, operators + 10)
    with schema_context(SCHEMA):
        inbox = Inbox.objects.get()
        sessions = []
        for i in range(operators):
            user = operator_create(
                email=f"op{i:03d}@bench.example.com",
                full_name=f"Bench Operator {i:03d}",
                password=OPERATOR_PASSWORD,
                role="operator",
            )
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            sessions.append(session.session_key)
        made = Contact.objects.bulk_create(Contact(user_agent="bench") for _ in range(contacts))
        threads = Conversation.objects.bulk_create(
            Conversation(inbox=inbox, contact=c) for c in made[:conversations]
        )
        tokens = [
            visitor_token_make(schema_name=SCHEMA, inbox_id=inbox.pk, contact_id=c.pk) for c in made
        ]
    Path(out).write_text(
        json.dumps(
            {
                "public_key": inbox.public_key,
                "sessions": sessions,
                "visitors": [[t, c.pk] for t, c in zip(tokens, threads, strict=False)],
                "idle_tokens": tokens[conversations:],
            }
        )
    )


class Seeding:
    """`seed_company` in a `manage.py shell` process, running while the server starts."""

    def __init__(self, plan: Plan, idle: int) -> None:
        seeded = plan.visitors - plan.http_visitors
        fd, self.out = tempfile.mkstemp(prefix="bench-rt-seed-", suffix=".json")
        os.close(fd)
        code = (
            "from bench._realtime_setup import seed_company; "
            f"seed_company({self.out!r}, {plan.operators}, {seeded + idle}, {seeded})"
        )
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(REPO_DIR / "manage.py"), "shell", "-c", code],
            cwd=REPO_DIR,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def result(self) -> tuple[dict[str, Any], float]:
        """The seeded data and the seconds it took."""
        output, _ = self.proc.communicate()
        try:
            if self.proc.returncode != 0:
                sys.stderr.write(output)
                raise RuntimeError(f"seeding exited with {self.proc.returncode}")
            seeded = dict(json.loads(Path(self.out).read_text()))
            return seeded, round(time.monotonic() - self.start, 2)
        finally:
            os.unlink(self.out)


def product_start(workers: int, *, wait: bool = True) -> Server:
    port = free_port()
    server = Server(
        "uvicorn",
        uvicorn_command(port, workers=workers, quiet=True),
        port,
    )
    if wait:
        server.wait_ready()
    return server


def relay_start(template: str) -> Server:
    """The floor relay; `template`: a file holding a product `message.created` frame."""
    port = free_port()
    command = [sys.executable, str(REPO_DIR / "bench" / "realtime_relay.py"), "--port", str(port)]
    command += ["--redis", os.environ["REDIS_URL"]]
    server = Server("relay", command + (["--template", template] if template else []), port)
    server.wait_ready()
    return server


def http_visitors(port: int, public_key: str, count: int) -> list[list[Any]]:
    """Visitors made the way the widget makes them: a session, then a conversation."""
    import httpx

    headers = {"Host": WIDGET_HOST, "Origin": f"http://{WIDGET_HOST}"}
    made = []
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30, trust_env=False
    ) as http:
        for n in range(count):
            http.headers["X-Forwarded-For"] = f"198.18.{n // 250}.{n % 250 + 1}"  # RFC 2544
            answer = http.post(f"/widget/v1/inboxes/{public_key}/sessions", json={"page_url": ""})
            answer.raise_for_status()
            token = answer.json()["token"]
            answer = http.post(
                "/widget/v1/conversations", headers={"Authorization": f"Bearer {token}"}
            )
            answer.raise_for_status()
            made.append([token, answer.json()["id"]])
    return made
