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
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _routing_escalation import Worker, phase_escalation  # noqa: E402
from _routing_explain import phase_due_query, phase_history  # noqa: E402
from _routing_world import (  # noqa: E402
    BENCH_DB,
    GOAL_ASSIGN_P99_MS,
    GOAL_SPREAD,
    PLANS,
    REDIS_DB,
    Plan,
    World,
    assign_timed,
    chats_make,
    distribution,
    environment_prepare,
    loads,
    open_chats_close,
    queries_of_one_assignment,
    redis_flush,
    world_make,
)
from _stack import Report, database_recreate, log, server_params, stopwatch  # noqa: E402

# --- 1. assignment latency and fairness ------------------------------------------------------


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
