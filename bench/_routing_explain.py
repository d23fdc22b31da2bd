"""Phases 4 and 5 of bench/routing.py: the plan of the due-deadline query with many pending
timers, and assignment with a long history of closed chats."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from _routing_world import (
    BULK,
    GOAL_ASSIGN_P99_MS,
    SENTINEL_KIND,
    Plan,
    World,
    assign_timed,
    chats_make,
    distribution,
    open_chats_close,
)
from _stack import Report, log

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
