#!/usr/bin/env python
"""Benchmark: real-time delivery from a visitor's socket to the operators' sockets.

    python bench/realtime.py            # full: 20 s at 200 msg/s, 5 s steps, 10,000 idle (~5 min)
    python bench/realtime.py --quick    # 8 s at 200 msg/s, 1.5 s steps, 2,000 sockets (< 60 s)
    python bench/realtime.py --json     # also one JSON object with every figure as the last line
    python bench/realtime.py --no-deflate   # clients do not offer permessage-deflate

What is measured (bench/README.md, `realtime.py`, says how and why):

1. latency from just before a visitor's `message.send` frame is written to the first operator
   socket receiving its `message.created` (matched by client id), p50/p99, at 200 msg/s with
   1,000 connected visitors (one unassigned conversation each) and 50 connected operators; also
   the last of the 50 operators, the sender's `message.ack`, delivered operator frames/s, how
   many operators got each message, lost messages and duplicate frames;
2. the highest delivered operator frames/s with p99 ≤ 100 ms, stepping the send rate
   (20, 40, 80 … msg/s; each message is one frame per operator);
3. idle visitor sockets held by one server, its RSS before and after (memory per socket), each
   socket answering a ping (full: 10,000 on a fresh server; --quick: 2,000 counting the load
   phases' sockets);
4. the same round trip through a bare `websockets` + Redis pub/sub relay (bench/realtime_relay.py,
   no database), so the product's figures are printed next to that floor.

Set-up: a fresh database `messenger_bench_rt` (dropped and recreated on the server of
DATABASE_URL, else on 127.0.0.1:5432, else on the embedded servers), `migrate_schemas`, the
demo company (`demo`, schema `co_demo`) plus 50 operators with panel sessions and the visitors'
contacts, tokens and conversations (the first 10/50 visitors go through the widget's HTTP API,
the rest are bulk-made with the same models and tokens). uvicorn serves `messenger.asgi` with
a worker process per core (`--workers`), as production does (messenger.serve). The load
generator (asyncio processes: visitors, operators, idle sockets) runs on the same 2-core
machine, so the server shares its cores with the clients, PostgreSQL and Redis; each phase
reports the CPU each of them used, and what the rest of the machine used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _stack import database_recreate, database_url_for, free_port, server_params  # noqa: E402

from messenger.serve import uvicorn_command  # noqa: E402

BENCH_DB = "messenger_bench_rt"
SERVER_WORKERS = 2  # uvicorn worker processes (--workers)
SCHEMA = "co_demo"
COMPANY_HOST = "demo.localhost"
WIDGET_HOST = "localhost"
OPERATOR_PASSWORD = "Bench-realtime-2026!"
REDIS_DBS = (8, 10, 11, 12, 13, 14, 15)  # the first empty one is used (and flushed at the end)
LOCK_KEY = 0x6D62_7274  # pg advisory lock held for a whole run ("mbrt")
PING_EVERY_S = 20.0  # the server closes sockets silent for 70 s; browsers ping every 25 s

GOAL_P50_MS = 5.0
GOAL_P99_MS = 25.0
STEP_P99_LIMIT_MS = 100.0
GOAL_FRAMES_PER_S = 1000.0
GOAL_IDLE_SOCKETS = 10_000

CLIENT_ID = re.compile(r'"client_id":"([0-9a-f-]{36})"')
FRAME_TYPE = re.compile(r'"type":"([a-z._]+)"')


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


# --- report --------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None
    section: int = 0  # the table lists sections in order, whatever order they ran in

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("pass" if self.ok else "FAIL")


@dataclass
class Report:
    mode: str
    figures: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    section: int = 0
    error: str = ""

    def add(self, metric: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(metric, value, goal, ok, self.section))

    def table(self) -> str:
        head = Row("metric", "value", "goal")
        everyone = [head, *sorted(self.rows, key=lambda r: r.section)]
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

    @property
    def passed(self) -> bool:
        return not self.error and all(r.ok is not False for r in self.rows)


_T0 = time.monotonic()


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the table (and the JSON line)."""
    print(f"[bench {time.monotonic() - _T0:5.1f} s] {message}", file=sys.stderr, flush=True)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values.
    Infinite values (never arrived) sort last and make every percentile that touches them
    infinite."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    if math.isinf(ordered[high]):
        return ordered[low] if low == rank else math.inf
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(value: float) -> str:
    if math.isnan(value):
        return "—"
    return "never" if math.isinf(value) else f"{value:.1f} ms"


def raise_nofile() -> None:
    """Open-file limit up to the hard limit: every socket is a file descriptor."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- processes: CPU and memory from /proc --------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine have used (every core), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU use of named groups of processes over a window, in cores (1.0 = one core busy),
    and `other`: what the rest of the machine used meanwhile (other people's work too)."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]]) -> None:
        self.groups = groups
        self._start: dict[str, dict[int, float]] = {}
        self._t0 = self._machine0 = 0.0

    def start(self) -> None:
        self._t0, self._machine0 = time.monotonic(), machine_busy_seconds()
        self._start = {
            name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self.groups().items()
        }

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        used = {  # a process gone meanwhile (a recycled database connection) counts as 0
            name: sum(max(0.0, cpu_seconds(pid) - before) for pid, before in pids.items()) / wall
            for name, pids in self._start.items()
        }
        machine = (machine_busy_seconds() - self._machine0) / wall
        used["other"] = max(0.0, machine - sum(used.values()))
        return {name: round(value, 2) for name, value in used.items()}


# --- database, Redis and seeding -----------------------------------------------------------


def backend_pids(params: dict[str, Any], name: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (the server's connections)."""
    import psycopg

    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
    except psycopg.Error:
        return []
    return [int(pid) for (pid,) in rows if Path(f"/proc/{pid}").exists()]


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
        {
            "DJANGO_SETTINGS_MODULE": "messenger.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench",
            "SECURE_COOKIES": "0",
            "STATIC_MANIFEST": "0",
            "FAST_PASSWORD_HASHER": "1",
            "PUBLIC_SCHEME": "http",
            "BASE_HOST": "localhost",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": database_url_for(url, BENCH_DB),
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"bench-{BENCH_DB}",
            "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
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


def manage(*args: str) -> float:
    """Run `manage.py <args>` in a fresh process; the wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(REPO_DIR / "manage.py"), *args],
        cwd=REPO_DIR,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"manage.py {' '.join(args)[:80]} exited with {done.returncode}")
    return time.perf_counter() - start


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
            "from bench.realtime import seed_company; "
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


# --- servers under test --------------------------------------------------------------------


class Server:
    """A server subprocess (uvicorn with the product, or the relay) on a free port."""

    def __init__(self, name: str, command: list[str], port: int) -> None:
        self.name, self.port = name, port
        fd, self.log_path = tempfile.mkstemp(prefix=f"bench-rt-{name}-", suffix=".log")
        try:
            self.proc = subprocess.Popen(
                command,
                cwd=REPO_DIR,
                env=os.environ.copy(),
                stdout=fd,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
                start_new_session=True,  # its workers are stopped with it, as a group
            )
        finally:
            os.close(fd)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        """The server process and its worker processes."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo += [int(child) for child in task.read_text().split()]
                except OSError:
                    continue
        return found

    def rss_mib(self) -> float:
        """Resident memory of the server and its workers."""
        return sum(rss_mib(pid) for pid in self.pids() if Path(f"/proc/{pid}").exists())

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.tail()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not listen within {timeout} s: {self.tail()}")

    def tail(self, lines: int = 30) -> str:
        text = Path(self.log_path).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM (SIGKILL after 5 s); `kill`: at once, when a backlog need not drain. The
        whole process group, so no worker outlives its server."""
        if self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with suppress(OSError):
            os.unlink(self.log_path)


def product_start(*, wait: bool = True) -> Server:
    port = free_port()
    server = Server(
        "uvicorn",
        uvicorn_command(port, workers=SERVER_WORKERS, quiet=True),
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


# --- load generator: one asyncio process per fleet of sockets ------------------------------


@dataclass
class SocketSpec:
    url: str  # its host is the virtual host (Host header); the TCP connection goes to `port`
    port: int
    origin: str
    cookie: str = ""
    operator: bool = False
    conversation_id: int | None = None  # visitors that send
    # A visitor of the product: its token is traded for a one-time ticket right before each
    # connect (POST /widget/v1/tickets), as the widget does; the ticket goes into the URL.
    token: str = ""


@dataclass
class Sock:
    spec: SocketSpec
    ws: Any
    index: int  # among the fleet's operator sockets, else -1
    open: bool = True
    close_code: int | None = None
    pong_at: float = 0.0  # when the last pong came (time.monotonic)


class Fleet:
    """Client sockets of one generator process: connect, send at a rate, record what arrives.

    Operator sockets record each `message.created` by client id: the first and last arrival
    (CLOCK_MONOTONIC, comparable across processes), and the frames per operator socket.
    Visitor sockets record their `message.ack`s.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._reset()

    def _reset(self) -> None:
        """No sockets, nothing recorded."""
        self.socks: list[Sock] = []
        self.operators = 0
        # client id → [first_ns, last_ns, frames, distinct operators, frames per operator]
        self.arrivals: dict[str, list[Any]] = {}
        self.acks: dict[str, int] = {}
        self.types: Counter[str] = Counter()
        self.errors: list[str] = []
        self.pongs = 0
        self.sample = ""  # one operator `message.created` frame, as it came
        self.last_frame = time.monotonic()
        self.pinger: asyncio.Task[None] | None = None
        self.readers: set[asyncio.Task[None]] = set()

    # connecting and closing

    async def _ticket(self, spec: SocketSpec) -> str:
        """A one-time ticket for a visitor socket, from the server under test."""
        import httpx

        if getattr(self, "_http", None) is None:
            self._http = httpx.AsyncClient(timeout=60, trust_env=False)
        host = spec.url.split("/")[2]
        answer = await self._http.post(
            f"http://127.0.0.1:{spec.port}/widget/v1/tickets",
            headers={
                "Host": host,
                "Origin": spec.origin,
                "Authorization": f"Bearer {spec.token}",
            },
        )
        answer.raise_for_status()
        return str(answer.json()["ticket"])

    async def connect(
        self, specs: list[SocketSpec], concurrency: int, deflate: bool
    ) -> dict[str, Any]:
        from websockets.asyncio.client import connect

        failures: Counter[str] = Counter()
        queue = list(reversed(specs))
        start = time.monotonic()
        if self.pinger is None:  # from the first socket on: the server closes silent ones
            self.pinger = asyncio.create_task(self._ping_forever())

        async def opener() -> None:
            while queue:
                spec = queue.pop()
                try:
                    url = spec.url
                    if spec.token:
                        url += f"?ticket={await self._ticket(spec)}"
                    ws = await connect(
                        url,
                        host="127.0.0.1",
                        port=spec.port,
                        proxy=None,
                        origin=spec.origin,  # type: ignore[arg-type]
                        additional_headers={"Cookie": spec.cookie} if spec.cookie else None,
                        compression="deflate" if deflate else None,
                        ping_interval=None,
                        max_queue=256,
                        open_timeout=60,
                    )
                except Exception as exc:
                    failures[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                    continue
                index = -1
                if spec.operator:
                    index, self.operators = self.operators, self.operators + 1
                sock = Sock(spec, ws, index)
                self.socks.append(sock)
                task = asyncio.create_task(self._read(sock))
                self.readers.add(task)
                task.add_done_callback(self.readers.discard)

        await asyncio.gather(*(opener() for _ in range(concurrency)))
        extensions = (
            [type(e).__name__ for e in self.socks[0].ws.protocol.extensions] if self.socks else []
        )
        return {
            "opened": len(specs) - sum(failures.values()),
            "failed": dict(failures),
            "seconds": time.monotonic() - start,
            "extensions": extensions,
        }

    async def close_all(self) -> dict[str, Any]:
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        socks, self.socks = self.socks, []
        for i in range(0, len(socks), 200):
            await asyncio.gather(
                *(s.ws.close() for s in socks[i : i + 200]), return_exceptions=True
            )
        for task in list(self.readers):
            task.cancel()
        self._reset()
        return {"closed": len(socks)}

    def status(self) -> dict[str, Any]:
        codes = Counter(str(s.close_code) for s in self.socks if not s.open)
        return {
            "open": sum(s.open for s in self.socks),
            "closed": dict(codes),
            "types": dict(self.types),
            "errors": self.errors[:5],
            "sample_frame": self.sample,
            "cpu_s": sum(os.times()[:2]),
            "rss_mib": rss_mib(os.getpid()),
        }

    # what arrives

    async def _read(self, sock: Sock) -> None:
        from websockets.exceptions import ConnectionClosed

        arrivals, acks, types = self.arrivals, self.acks, self.types
        try:
            async for raw in sock.ws:
                now = time.monotonic_ns()
                text = raw if isinstance(raw, str) else raw.decode()
                kind_match = FRAME_TYPE.match(text, 1)
                kind = kind_match.group(1) if kind_match else "?"
                types[kind] += 1
                if kind == "message.created" and sock.index >= 0:
                    self.last_frame = time.monotonic()
                    self.sample = self.sample or text
                    found = CLIENT_ID.search(text)
                    if found is None:
                        continue
                    record = arrivals.get(found.group(1))
                    if record is None:
                        record = arrivals[found.group(1)] = [now, now, 0, 0, Counter()]
                    record[1] = now
                    record[2] += 1
                    per = record[4]
                    if per[sock.index] == 0:
                        record[3] += 1
                    per[sock.index] += 1
                elif kind == "message.ack":
                    found = CLIENT_ID.search(text)
                    if found is not None:
                        acks.setdefault(found.group(1), now)
                elif kind == "pong":
                    self.pongs += 1
                    sock.pong_at = time.monotonic()
                elif kind == "error" and len(self.errors) < 20:
                    self.errors.append(text[:200])
        except ConnectionClosed:
            pass
        finally:
            sock.open = False
            sock.close_code = sock.ws.close_code

    async def _ping_forever(self) -> None:
        """Each socket pings every PING_EVERY_S, the pings spread evenly over that interval
        (as browsers that opened at different moments do), never in one burst."""
        tick, owed, turn = 0.05, 0.0, 0
        while True:
            await asyncio.sleep(tick)
            socks = self.socks
            if not socks:
                continue
            owed += len(socks) * tick / PING_EVERY_S
            while owed >= 1:
                owed -= 1
                sock = socks[turn % len(socks)]
                turn += 1
                if sock.open:
                    with suppress(Exception):
                        await sock.ws.send('{"type":"ping"}')

    async def _ping_all(self) -> int:
        sent = 0
        for i, sock in enumerate(list(self.socks)):
            if sock.open:
                with suppress(Exception):
                    await sock.ws.send('{"type":"ping"}')
                    sent += 1
            if i % 100 == 99:
                await asyncio.sleep(0)
        return sent

    async def probe(self, timeout: float) -> dict[str, Any]:
        """Ping every open socket; how many sockets answer within `timeout`."""
        start = time.monotonic()
        sent = await self._ping_all()

        def answered() -> int:
            return sum(s.pong_at > start for s in self.socks)

        while answered() < sent and time.monotonic() - start < timeout:
            await asyncio.sleep(0.1)
        return {"pinged": sent, "answered": answered(), "seconds": time.monotonic() - start}

    # load

    async def send(self, rate: float, duration: float, tag: str) -> dict[str, Any]:
        """`message.send` at `rate` per second for `duration`, round-robin over the visitors
        that have a conversation. The send time is taken just before the frame is written."""
        senders = [s for s in self.socks if s.open and s.spec.conversation_id is not None]
        total = round(rate * duration)
        sent: list[tuple[str, int]] = []
        dumps = json.JSONEncoder(separators=(",", ":")).encode
        start = time.monotonic()
        for n in range(total):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif n % 50 == 0:
                await asyncio.sleep(0)  # behind schedule: let the readers run now and then
            sock = senders[n % len(senders)]
            client_id = str(uuid.uuid4())
            frame = dumps(
                {
                    "type": "message.send",
                    "conversation_id": sock.spec.conversation_id,
                    "body": f"bench {tag} {n}",
                    "client_id": client_id,
                }
            )
            t_sent = time.monotonic_ns()
            try:
                await sock.ws.send(frame)
            except Exception as exc:
                if len(self.errors) < 20:
                    self.errors.append(f"send: {exc!r}")
                continue
            sent.append((client_id, t_sent))
        return {"sent": sent, "seconds": time.monotonic() - start, "planned": total}

    async def collect(
        self, client_ids: list[str], expect: int, timeout: float, quiet: float
    ) -> dict[str, Any]:
        """Wait until every message reached `expect` operators (or nothing arrived for `quiet`
        seconds, or `timeout`), then hand over their records and forget all records."""
        start = time.monotonic()
        pending = list(client_ids)
        while pending:
            pending = [c for c in pending if c not in self.arrivals or self.arrivals[c][3] < expect]
            now = time.monotonic()
            if not pending or now - start > timeout or now - self.last_frame > quiet:
                break
            await asyncio.sleep(0.02)
        records = {
            c: [*self.arrivals[c][:4], max(self.arrivals[c][4].values())]
            for c in client_ids
            if c in self.arrivals
        }
        stray = len(self.arrivals) - len(records)
        self.arrivals.clear()  # cleared in place: the readers hold the dict
        return {"records": records, "stray": stray, "waited": time.monotonic() - start}

    async def settle(self, quiet: float, timeout: float) -> float:
        """Wait until no operator frame arrived for `quiet` seconds; the seconds waited."""
        start = time.monotonic()
        while time.monotonic() - self.last_frame < quiet and time.monotonic() - start < timeout:
            await asyncio.sleep(0.05)
        self.arrivals.clear()
        return time.monotonic() - start

    def take_acks(self, client_ids: list[str]) -> list[int | None]:
        found = [self.acks.get(c) for c in client_ids]
        self.acks.clear()
        return found


def fleet_main(conn: Connection, name: str) -> None:
    """A generator process: runs the Fleet's commands as they come through the pipe."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        import uvloop
    except ImportError:
        asyncio.run(_fleet_serve(conn, name))
    else:
        uvloop.run(_fleet_serve(conn, name))


async def _fleet_serve(conn: Connection, name: str) -> None:
    fleet = Fleet(name)
    while True:
        command, args = await asyncio.to_thread(conn.recv)
        if command == "exit":
            await fleet.close_all()
            conn.send((True, None))
            return
        try:
            result = getattr(fleet, command)(*args)
            if asyncio.iscoroutine(result):
                result = await result
            conn.send((True, result))
        except Exception as exc:  # reported to the parent, which raises it
            conn.send((False, f"{name}.{command}: {exc!r}"))


class FleetProcess:
    """The parent's handle on a generator process."""

    def __init__(self, name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=fleet_main, args=(child, name), name=name, daemon=True)
        self.proc.start()
        self.name = name

    @property
    def pid(self) -> int:
        return int(self.proc.pid or 0)

    def begin(self, command: str, *args: Any) -> None:
        self.conn.send((command, args))

    def end(self) -> Any:
        ok, result = self.conn.recv()
        if not ok:
            raise RuntimeError(result)
        return result

    def call(self, command: str, *args: Any) -> Any:
        self.begin(command, *args)
        return self.end()

    def stop(self) -> None:
        if self.proc.is_alive():
            with suppress(Exception):
                self.call("exit")
            self.proc.join(10)
            if self.proc.is_alive():
                self.proc.terminate()


def visitor_specs(
    port: int, visitors: list[list[Any]], *, tickets: bool = True
) -> list[SocketSpec]:
    """Visitor sockets. The product's open with a one-time ticket fetched just before each
    connect; the bare relay (`tickets=False`) reads nothing from the URL."""
    return [
        SocketSpec(
            f"ws://{WIDGET_HOST}:{port}/ws/widget/",
            port,
            f"http://{WIDGET_HOST}",
            conversation_id=conversation_id,
            token=token if tickets else "",
        )
        for token, conversation_id in visitors
    ]


def operator_specs(port: int, sessions: list[str]) -> list[SocketSpec]:
    return [
        SocketSpec(
            f"ws://{COMPANY_HOST}:{port}/ws/panel/",
            port,
            f"http://{COMPANY_HOST}:{port}",  # a browser's Origin names the port
            cookie=f"msid={key}",
            operator=True,
        )
        for key in sessions
    ]


# --- measurements --------------------------------------------------------------------------


@dataclass
class Load:
    """One paced run: what was sent and what the operators and the senders received.

    Latencies are per message sent; one that never reached an operator within the wait counts
    as infinitely late, so percentiles cannot look better by losing the slow ones."""

    rate: float
    sent: int
    send_seconds: float
    waited_s: float  # how long stragglers were waited for after sending stopped
    first_ms: list[float]  # send → first operator, per message sent (inf: never)
    last_ms: list[float]  # send → last operator that got it
    ack_ms: list[float]  # send → the sender's message.ack (inf: none)
    lost: int  # reached no operator within the wait
    partial: int  # reached some but not all operators
    duplicates: int  # frames beyond one per operator per message
    frames: int
    frames_per_s: float
    reach: list[int]
    cpu: dict[str, float]

    @property
    def p50(self) -> float:
        return percentile(self.first_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.first_ms, 99)

    @property
    def within_limit(self) -> bool:
        return self.p99 <= STEP_P99_LIMIT_MS and self.lost == 0 and self.partial == 0

    def summary(self) -> dict[str, Any]:
        def r(value: float) -> float | None:
            return None if math.isinf(value) or math.isnan(value) else round(value, 2)

        return {
            "rate_msg_s": self.rate,
            "sent": self.sent,
            "achieved_send_rate_msg_s": round(self.sent / self.send_seconds, 1),
            "waited_s": round(self.waited_s, 1),
            "first_operator_p50_ms": r(self.p50),
            "first_operator_p99_ms": r(self.p99),
            "first_operator_max_ms": r(max(self.first_ms, default=math.nan)),
            "last_operator_p50_ms": r(percentile(self.last_ms, 50)),
            "last_operator_p99_ms": r(percentile(self.last_ms, 99)),
            "ack_p50_ms": r(percentile(self.ack_ms, 50)),
            "ack_p99_ms": r(percentile(self.ack_ms, 99)),
            "lost": self.lost,
            "partial": self.partial,
            "duplicates": self.duplicates,
            "missing_acks": sum(math.isinf(a) for a in self.ack_ms),
            "operator_frames": self.frames,
            "operator_frames_per_s": round(self.frames_per_s, 1),
            "operators_per_message_min": min(self.reach, default=0),
            "operators_per_message_median": statistics.median(self.reach) if self.reach else 0,
            "cpu_cores": self.cpu,
        }


def load_run(
    visitors: FleetProcess,
    operators: FleetProcess,
    meter: CpuMeter,
    *,
    rate: float,
    seconds: float,
    expect: int,
    tag: str,
    wait_s: float,
    quiet_s: float,
) -> Load:
    """Send at `rate` for `seconds`, then wait up to `wait_s` for every operator to have all
    (less if no operator frame arrives for `quiet_s`)."""
    meter.start()
    sent = visitors.call("send", rate, seconds, tag)
    client_ids = [c for c, _ in sent["sent"]]
    got = operators.call("collect", client_ids, expect, wait_s, quiet_s)
    cpu = meter.stop()
    acks = visitors.call("take_acks", client_ids)
    records = got["records"]
    first, last, ack, reach = [], [], [], []
    lost = partial = duplicates = frames = 0
    last_arrival = 0
    for (client_id, t_sent), t_ack in zip(sent["sent"], acks, strict=True):
        ack.append(math.inf if t_ack is None else (t_ack - t_sent) / 1e6)
        record = records.get(client_id)
        if record is None:
            lost += 1
            reach.append(0)
            first.append(math.inf)
            last.append(math.inf)
            continue
        t_first, t_last, count, distinct, _ = record
        first.append((t_first - t_sent) / 1e6)
        last.append((t_last - t_sent) / 1e6)
        reach.append(distinct)
        partial += distinct < expect
        duplicates += count - distinct
        frames += count
        last_arrival = max(last_arrival, t_last)
    t_start = sent["sent"][0][1] if sent["sent"] else 0
    window = (last_arrival - t_start) / 1e9 if last_arrival else 0.0
    return Load(
        rate=rate,
        sent=len(client_ids),
        send_seconds=sent["seconds"],
        waited_s=got["waited"],
        first_ms=first,
        last_ms=last,
        ack_ms=ack,
        lost=lost,
        partial=partial,
        duplicates=duplicates,
        frames=frames,
        frames_per_s=frames / window if window else 0.0,
        reach=reach,
        cpu=cpu,
    )


def steps_run(
    visitors: FleetProcess,
    operators: FleetProcess,
    meter: CpuMeter,
    plan: Plan,
    *,
    expect: int,
    tag: str,
) -> tuple[list[Load], float]:
    """Double the rate until p99 passes the limit (or a message goes missing); the best
    delivered frames/s of the steps within it."""
    steps: list[Load] = []
    best = 0.0
    for rate in plan.step_rates:
        load = load_run(
            visitors,
            operators,
            meter,
            rate=rate,
            seconds=plan.step_s,
            expect=expect,
            tag=f"{tag}{rate}",
            wait_s=min(plan.wait_s, plan.step_s + 2),
            quiet_s=2.0,
        )
        steps.append(load)
        log(
            f"  {tag} {rate} msg/s: p50 {ms(load.p50)}, p99 {ms(load.p99)}, "
            f"{load.frames_per_s:,.0f} frames/s, lost {load.lost}, cpu {load.cpu}"
        )
        if not load.within_limit:
            operators.call("settle", 0.5, plan.wait_s)  # let the backlog drain first
            break
        best = max(best, load.frames_per_s)
    return steps, best


def report_load(report: Report, label: str, load: Load, expect: int, *, goals: bool) -> None:
    s = load.summary()
    report.add(
        f"{label}: send → first operator p50",
        ms(load.p50),
        f"≤ {GOAL_P50_MS:g} ms" if goals else "",
        load.p50 <= GOAL_P50_MS if goals else None,
    )
    report.add(
        f"{label}: send → first operator p99",
        ms(load.p99),
        f"≤ {GOAL_P99_MS:g} ms" if goals else "",
        load.p99 <= GOAL_P99_MS if goals else None,
    )
    report.add(
        f"{label}: send → last of {expect} operators p50 / p99",
        f"{ms(percentile(load.last_ms, 50))} / {ms(percentile(load.last_ms, 99))}",
    )
    report.add(
        f"{label}: send → message.ack p50 / p99",
        f"{ms(percentile(load.ack_ms, 50))} / {ms(percentile(load.ack_ms, 99))}",
    )
    report.add(
        f"{label}: messages sent (achieved rate)",
        f"{load.sent:,} ({s['achieved_send_rate_msg_s']:g}/s)",
    )
    report.add(f"{label}: delivered operator frames/s", f"{load.frames_per_s:,.0f}")
    report.add(
        f"{label}: operators reached per message (min / median)",
        f"{s['operators_per_message_min']} / {s['operators_per_message_median']:g}",
        f"{expect} of {expect}",
        min(load.reach, default=0) == expect,
    )
    report.add(
        f"{label}: lost (no operator had it {load.waited_s:.0f} s after sending stopped)",
        str(load.lost),
        "0",
        load.lost == 0,
    )
    report.add(f"{label}: duplicate frames", str(load.duplicates), "0", load.duplicates == 0)
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in load.cpu.items())
    report.add(f"{label}: CPU cores used", cpu)


def report_steps(report: Report, label: str, steps: list[Load], best: float, goal: bool) -> None:
    for s in steps:
        report.add(
            f"{label}step {s.rate:g} msg/s: p50 / p99, frames/s, lost",
            f"{ms(s.p50)} / {ms(s.p99)}, {s.frames_per_s:,.0f}, {s.lost}",
        )
    report.add(
        f"{label}highest delivered frames/s with p99 ≤ {STEP_P99_LIMIT_MS:g} ms",
        f"{best:,.0f}",
        f"≥ {GOAL_FRAMES_PER_S:,.0f}" if goal else "",
        best >= GOAL_FRAMES_PER_S if goal else None,
    )


def connect_all(
    fleets: list[FleetProcess], specs: list[SocketSpec], concurrency: int, deflate: bool
) -> dict[str, Any]:
    """Open `specs`, shared out over `fleets` (all at once); opened, failures, seconds."""
    share = math.ceil(len(specs) / len(fleets))
    start = time.monotonic()
    for i, fleet in enumerate(fleets):
        fleet.begin("connect", specs[i * share : (i + 1) * share], concurrency, deflate)
    results = [f.end() for f in fleets]
    failures: Counter[str] = Counter()
    for result in results:
        failures.update(result["failed"])
    return {
        "opened": sum(r["opened"] for r in results),
        "failed": dict(failures),
        "seconds": time.monotonic() - start,
        "extensions": results[0]["extensions"],
    }


def probe_all(fleets: list[FleetProcess], timeout: float) -> dict[str, Any]:
    """Ping every open socket of `fleets`; how many answered, and the close codes of those
    already closed."""
    closed: Counter[str] = Counter()
    for fleet in fleets:
        closed.update(fleet.call("status")["closed"])
    for fleet in fleets:
        fleet.begin("probe", timeout)
    probes = [f.end() for f in fleets]
    return {
        "pinged": sum(p["pinged"] for p in probes),
        "answered": sum(p["answered"] for p in probes),
        "seconds": max(p["seconds"] for p in probes),
        "closed": dict(closed),
    }


@dataclass
class Idle:
    """Idle sockets: opened, then held; the server's RSS before and after."""

    requested: int
    opened: int
    failed: dict[str, int]
    connect_s: float
    rss_before_mib: float
    rss_after_mib: float
    answered: int = 0
    probe_s: float = 0.0
    closed: dict[str, int] = field(default_factory=dict)  # close code → sockets, before the probe
    note: str = ""

    @property
    def kib_per_socket(self) -> float:
        return (self.rss_after_mib - self.rss_before_mib) * 1024 / self.opened

    def summary(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "opened": self.opened,
            "failed": self.failed,
            "connect_s": round(self.connect_s, 2),
            "connects_per_s": round(self.opened / self.connect_s, 1),
            "answered_ping": self.answered,
            "probe_s": round(self.probe_s, 2),
            "closed_by_server_before_probe": self.closed,
            "rss_before_mib": round(self.rss_before_mib, 1),
            "rss_after_mib": round(self.rss_after_mib, 1),
            "kib_per_socket": round(self.kib_per_socket, 1),
            "how": self.note,
        }


def report_idle(report: Report, plan: Plan, idle: Idle) -> None:
    held = idle.answered >= plan.idle
    full_size = plan.idle >= GOAL_IDLE_SOCKETS
    report.add(
        "idle visitor sockets held (answered a ping)",
        f"{idle.answered:,} / {plan.idle:,}",
        f"{GOAL_IDLE_SOCKETS:,} on one node",
        (True if full_size else None) if held else False,
    )
    report.add(
        "idle sockets: connects/s (handshake + token check)", f"{idle.opened / idle.connect_s:,.0f}"
    )
    report.add(
        "server RSS before → after the idle sockets",
        f"{idle.rss_before_mib:.0f} → {idle.rss_after_mib:.0f} MiB",
    )
    report.add("server memory per idle socket", f"{idle.kib_per_socket:.1f} KiB")
    report.notes.append(f"Idle sockets: {idle.note}")
    if idle.failed:
        report.notes.append(f"Idle connect failures: {idle.failed}")
    if idle.closed:
        report.notes.append(
            f"Idle sockets the server closed before the probe (code: n): {idle.closed}"
        )


def idle_separate(plan: Plan, tokens: list[str], fleets: list[FleetProcess], deflate: bool) -> Idle:
    """A fresh server: warm it with a few sockets, read RSS, open `plan.idle` more, hold them,
    read RSS again, ping them all."""
    server = product_start()
    try:
        warm = visitor_specs(server.port, [[t, None] for t in tokens[:20]])
        connect_all(fleets[:1], warm, 10, deflate)
        time.sleep(0.5)
        before = server.rss_mib()
        specs = visitor_specs(server.port, [[t, None] for t in tokens[20 : 20 + plan.idle]])
        log(f"  opening {len(specs):,} idle visitor sockets")
        opened = connect_all(fleets, specs, 50, deflate)
        log(f"  opened {opened['opened']:,} in {opened['seconds']:.1f} s; holding")
        time.sleep(plan.idle_hold_s)
        after = server.rss_mib()
        probe = probe_all(fleets, 60.0)
        answered = probe["answered"] - len(warm)
        closed = probe["closed"]
        for fleet in fleets:
            fleet.call("close_all")
    finally:
        server.stop()
    return Idle(
        requested=plan.idle,
        opened=opened["opened"],
        failed=opened["failed"],
        connect_s=opened["seconds"],
        rss_before_mib=before,
        rss_after_mib=after,
        answered=answered,
        probe_s=probe["seconds"],
        closed=closed,
        note=(
            f"{plan.idle:,} visitor sockets on a server of their own (after 20 warm-up ones), "
            f"held {plan.idle_hold_s:g} s, then each pinged."
        ),
    )


# --- the run -------------------------------------------------------------------------------


class Bench:
    """Everything one run starts, so that it can all be stopped whatever happens."""

    def __init__(self, plan: Plan, report: Report, env: dict[str, Any], deflate: bool) -> None:
        self.plan, self.report, self.env, self.deflate = plan, report, env, deflate
        self.figures = report.figures
        self.fleets: list[FleetProcess] = []
        self.server: Server | None = None
        self.meter = CpuMeter(self.groups)

    def groups(self) -> dict[str, list[int]]:
        names = {
            "server": self.server.pids() if self.server else [],
            "generator": [f.pid for f in self.fleets],
            "postgres": backend_pids(self.env["server"], BENCH_DB),
        }
        if self.env["redis_pid"]:
            names["redis"] = [self.env["redis_pid"]]
        return names

    def stop(self) -> None:
        for fleet in self.fleets:
            fleet.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def run(self, seeding: Seeding) -> None:
        plan, report, figures, deflate = self.plan, self.report, self.figures, self.deflate
        vis, ops = FleetProcess("visitors"), FleetProcess("operators")
        idle_fleets = [FleetProcess(f"idle{i}") for i in range(plan.idle_procs)]
        self.fleets += [vis, ops, *idle_fleets]

        log(f"seeding while uvicorn ({SERVER_WORKERS} workers) starts")
        self.server = server = product_start(wait=False)
        seeded, figures["seed_s"] = seeding.result()
        server.wait_ready()
        visitors = http_visitors(server.port, seeded["public_key"], plan.http_visitors)
        visitors += seeded["visitors"]
        time.sleep(0.5)
        rss_fresh = server.rss_mib()
        log(f"connecting {len(seeded['sessions'])} operators and {len(visitors):,} visitors")
        start = time.monotonic()
        ops.begin("connect", operator_specs(server.port, seeded["sessions"]), 10, deflate)
        vis.begin("connect", visitor_specs(server.port, visitors), 50, deflate)
        o_opened, v_opened = ops.end(), vis.end()
        figures["connect"] = {"operators": o_opened, "visitors": v_opened}
        if o_opened["failed"] or v_opened["failed"]:
            raise RuntimeError(
                f"connect failures: {o_opened['failed']} {v_opened['failed']}\n{server.tail()}"
            )
        expect = o_opened["opened"]
        if not plan.idle_separate:
            extra = plan.idle - expect - v_opened["opened"]
            specs = visitor_specs(server.port, [[t, None] for t in seeded["idle_tokens"][:extra]])
            opened = connect_all(idle_fleets, specs, 50, deflate)
            connect_s = time.monotonic() - start
            time.sleep(plan.idle_hold_s)
            idle = Idle(
                requested=plan.idle,
                opened=expect + v_opened["opened"] + opened["opened"],
                failed=opened["failed"],
                connect_s=connect_s,
                rss_before_mib=rss_fresh,
                rss_after_mib=server.rss_mib(),
                note=(
                    f"quick: the {plan.idle:,} are the load phases' {expect} operator and "
                    f"{v_opened['opened']:,} visitor sockets plus {opened['opened']:,} idle "
                    "visitor ones, measured before any message; every one is pinged after the "
                    "rate steps."
                ),
            )
        report.notes.append(
            f"{os.cpu_count()} CPUs; uvicorn with {SERVER_WORKERS} worker process(es) (uvloop, "
            "`--ws websockets`, no permessage-deflate); the load "
            "generator, PostgreSQL and Redis run on the same machine (`other` in the CPU rows is "
            "everything else the machine ran meanwhile). "
            f"Sockets: {expect} operators (role operator: `pool` group), {v_opened['opened']:,} "
            f"visitors ({plan.http_visitors} made through the widget HTTP API), one conversation "
            f"each; negotiated extensions: {', '.join(v_opened['extensions']) or 'none'}."
        )

        log("warm-up: 50 msg/s for 1 s")
        load_run(
            vis, ops, self.meter, rate=50, seconds=1, expect=expect, tag="w", wait_s=5, quiet_s=2
        )

        log("2. rate steps")
        steps, best = steps_run(vis, ops, self.meter, plan, expect=expect, tag="step")
        figures["steps"] = [s.summary() for s in steps]
        figures["max_sustained_frames_per_s"] = round(best, 1)
        report.section = 2
        report_steps(report, "", steps, best, goal=True)

        if not plan.idle_separate:
            probe = probe_all([vis, ops, *idle_fleets], 20.0)
            idle.answered, idle.probe_s = probe["answered"], probe["seconds"]
            idle.closed = probe["closed"]
            figures["idle"] = idle.summary()
            report.section = 3
            report_idle(report, plan, idle)

        assigned = conversations_assign(self.env["server"], assigned=True)
        log(
            f"1. latency at {plan.rate:g} msg/s for {plan.latency_s:g} s, {assigned:,} "
            f"conversations assigned round robin to the {expect} operators"
        )
        main = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.latency_s,
            expect=1,
            tag="lat",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["latency"] = main.summary()
        log(f"  p50 {ms(main.p50)}, p99 {ms(main.p99)}, lost {main.lost}, cpu {main.cpu}")
        report.section = 1
        report_load(report, f"{plan.rate:g} msg/s, assigned", main, 1, goals=True)

        conversations_assign(self.env["server"], assigned=False)
        log(f"   reference: {plan.rate:g} msg/s for {plan.broadcast_s:g} s, all unassigned")
        broadcast = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.broadcast_s,
            expect=expect,
            tag="bc",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["latency_unassigned"] = broadcast.summary()
        log(
            f"  p50 {ms(broadcast.p50)}, p99 {ms(broadcast.p99)}, lost {broadcast.lost}, "
            f"cpu {broadcast.cpu}"
        )
        report_load(
            report,
            f"{plan.rate:g} msg/s, unassigned (all {expect} get each)",
            broadcast,
            expect,
            goals=False,
        )
        for fleet in (vis, ops):
            status = fleet.call("status")
            figures.setdefault("generator_status", {})[fleet.name] = status
        figures["operator_frame_bytes"] = len(
            figures["generator_status"]["operators"].get("sample_frame", "").encode()
        )
        figures["server_rss_end_mib"] = round(server.rss_mib(), 1)
        figures["server_log_tail"] = server.tail(10)
        self.server = None
        server.stop(kill=True)  # a backlog left by the latency run need not drain
        for fleet in self.fleets:
            fleet.call("close_all")

        if plan.idle_separate:
            log(f"3. {plan.idle:,} idle visitor sockets (a fresh server of their own)")
            idle = idle_separate(plan, seeded["idle_tokens"], idle_fleets, deflate)
            figures["idle"] = idle.summary()
            report.section = 3
            report_idle(report, plan, idle)

        log("4. floor: websockets + Redis pub/sub relay")
        fd, template = tempfile.mkstemp(prefix="bench-rt-frame-", suffix=".json")
        sample = figures["generator_status"]["operators"]["sample_frame"]
        with os.fdopen(fd, "w") as out:
            out.write(sample)
        try:  # the relay sends frames of the product's shape and size
            self.server = relay = relay_start(template if sample else "")
        finally:
            os.unlink(template)
        ops.begin("connect", operator_specs(relay.port, seeded["sessions"]), 10, deflate)
        vis.begin("connect", visitor_specs(relay.port, visitors, tickets=False), 50, deflate)
        ops.end(), vis.end()
        load_run(
            vis, ops, self.meter, rate=50, seconds=1, expect=expect, tag="fw", wait_s=5, quiet_s=2
        )
        fsteps: list[Load] = []
        fbest = 0.0
        if plan.floor_steps:
            fsteps, fbest = steps_run(vis, ops, self.meter, plan, expect=expect, tag="floor")
            figures["floor_steps"] = [s.summary() for s in fsteps]
            figures["floor_max_sustained_frames_per_s"] = round(fbest, 1)
        floor = load_run(
            vis,
            ops,
            self.meter,
            rate=plan.rate,
            seconds=plan.floor_latency_s,
            expect=expect,
            tag="floor",
            wait_s=plan.wait_s,
            quiet_s=plan.quiet_s,
        )
        figures["floor_latency"] = floor.summary()
        figures["floor_log_tail"] = relay.tail(10)
        log(f"  p50 {ms(floor.p50)}, p99 {ms(floor.p99)}, lost {floor.lost}, cpu {floor.cpu}")

        report.section = 4
        report_load(report, f"floor {plan.rate:g} msg/s", floor, expect, goals=False)
        if fsteps:
            report_steps(report, "floor ", fsteps, fbest, goal=False)
        ratios = {"p50": main.p50 / floor.p50, "p99": main.p99 / floor.p99}
        figures["product_over_floor"] = {
            k: None if math.isinf(v) or math.isnan(v) else round(v, 2) for k, v in ratios.items()
        }
        report.add(
            f"product / floor at {plan.rate:g} msg/s (p50, p99)",
            ", ".join("∞" if math.isinf(v) else f"{v:.1f}×" for v in ratios.values()),
        )
        if fsteps:
            report.add(
                "product / floor highest frames/s within the limit",
                f"{best / fbest:.2f}×" if fbest else "—",
            )


def run(plan: Plan, mode: str, *, deflate: bool, redis_db: int | None) -> Report:
    report = Report(mode=mode)
    figures = report.figures
    started = time.monotonic()
    raise_nofile()
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "uvicorn_workers": SERVER_WORKERS,
        "generator_same_machine": True,
        "client_permessage_deflate": deflate,
    }
    figures["plan"] = {k: getattr(plan, k) for k in plan.__dataclass_fields__}

    log(f"fresh database {BENCH_DB}, migrate_schemas, seed")
    env = environment_prepare(redis_db)
    figures["redis_url"] = env["redis_url"]
    bench = Bench(plan, report, env, deflate)
    try:
        figures["migrate_s"] = round(manage("migrate_schemas", "--noinput", "-v", "0"), 2)
        bench.run(Seeding(plan, plan.idle + 20))
    except Exception as exc:  # the table still shows what was measured
        import traceback

        traceback.print_exc()
        report.error = f"{type(exc).__name__}: {exc}"
    finally:
        bench.stop()
        database_recreate(env["server"], BENCH_DB, drop_only=True)
        import redis

        redis.Redis.from_url(env["redis_url"]).flushdb()
        env["lock"].close()
    figures["total_s"] = round(time.monotonic() - started, 1)
    figures["machine"]["loadavg_at_end"] = os.getloadavg()
    load = (figures["machine"]["loadavg_at_start"][0], figures["machine"]["loadavg_at_end"][0])
    report.notes.insert(
        0,
        f"Load average (1 min) at start / end: {load[0]:.1f} / {load[1]:.1f}. The machine is "
        "shared: compare runs that start near 0 and whose `other` CPU stays low.",
    )
    report.section = 9
    quick = mode == "quick"
    report.add(
        "benchmark wall time",
        f"{figures['total_s']:.0f} s",
        "< 60 s" if quick else "",
        figures["total_s"] < 60 if quick else None,
    )
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the < 60 s variant")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (browsers do)",
    )
    parser.add_argument("--redis-db", type=int, help="Redis database to use (and flush)")
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (2: one per core)"
    )
    args = parser.parse_args()
    global SERVER_WORKERS
    SERVER_WORKERS = args.workers
    mode = "quick" if args.quick else "full"
    report = run(PLANS[mode], mode, deflate=not args.no_deflate, redis_db=args.redis_db)
    print(f"Real-time delivery ({mode})")
    print(report.table())
    if args.json:
        summary = {"benchmark": "realtime", "mode": mode, "passed": report.passed}
        summary["error"] = report.error or None
        print(json.dumps({**summary, **report.figures}, ensure_ascii=False, default=str))
    return 1 if report.error else 0


if __name__ == "__main__":
    sys.exit(main())
