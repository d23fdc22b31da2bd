"""Schedule, cancel and fire deadlines (see `models.Deadline` for the guarantees).

Handlers are registered per kind by the apps that own them; each runs inside the company's
schema and the same transaction that marks its row done. `deadlines_run` is the runner
(`manage.py deadlines_run`): a few threads that each take due rows with SKIP LOCKED and look
again every POLL_SECONDS when none are due; the due query reads the partial index of pending
rows, so an idle look costs well under a millisecond whatever the number of companies. Celery
beat sweeps too (`kernel.deadlines_fire`), as a safety net when no runner is deployed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from messenger.kernel.models import Deadline
from messenger.schema import current_schema

log = logging.getLogger(__name__)

Handler = Callable[[int, int], None]  # (object_id, token)
HANDLERS: dict[str, Handler] = {}
RETRY_DELAY = timedelta(seconds=30)
CANCELLED = "cancelled"  # `last_error` of a deadline cancelled before it fired
MAX_ATTEMPTS = 5


def deadline_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


POLL_SECONDS = 0.1
RUNNER_THREADS = 2


def deadline_schedule(*, kind: str, object_id: int, due_at: datetime, token: int = 0) -> Deadline:
    """A deadline in the active company's schema; the runner fires it when due."""
    return Deadline.objects.create(
        schema_name=current_schema(),
        kind=kind,
        object_id=object_id,
        token=token,
        due_at=due_at,
    )


def deadlines_cancel(*, kind: str, object_id: int) -> int:
    """Mark the pending deadlines of an object done without running them."""
    return Deadline.objects.filter(
        schema_name=current_schema(), kind=kind, object_id=object_id, done_at=None
    ).update(done_at=timezone.now(), last_error=CANCELLED)


def deadlines_cancel_company(schema_name: str) -> int:
    """Cancel every pending deadline of a company (it is being deleted): none fires later
    into a schema that no longer exists."""
    return Deadline.objects.filter(schema_name=schema_name, done_at=None).update(
        done_at=timezone.now(), last_error=CANCELLED
    )


# The same two writes as SQL, for a hot path that folds them into one statement of its own
# (`inboxes/routing/assignment_sql.py`): this module stays the only writer of the table's
# rows. The fragments take SQL expressions for the object and token, and the named
# parameters %(schema)s, %(kind)s and %(now)s; the caller's tests compare the result with
# `deadline_schedule` / `deadlines_cancel` column by column.


def deadlines_cancel_sql(*, object_id: str, when: str = "TRUE") -> str:
    """An UPDATE that does what `deadlines_cancel` does (usable as a data-modifying CTE)."""
    table = connection.ops.quote_name(Deadline._meta.db_table)
    return f"""
        UPDATE {table} SET done_at = %(now)s, last_error = '{CANCELLED}'
         WHERE ({when}) AND schema_name = %(schema)s AND kind = %(kind)s
           AND object_id = {object_id} AND done_at IS NULL
    """  # noqa: S608  (table name from the model, values as parameters)


def deadline_schedule_sql(*, object_id: str, stamp: str, due_at: str, source: str) -> str:
    """An INSERT … SELECT that does what `deadline_schedule` does, once per row of `source`
    where `due_at` is not null (usable as a data-modifying CTE); `stamp` is the SQL of the
    deadline's token."""
    table = connection.ops.quote_name(Deadline._meta.db_table)
    return f"""
        INSERT INTO {table}
               (schema_name, kind, object_id, token, due_at, created_at, attempts, last_error)
        SELECT %(schema)s, %(kind)s, {object_id}, {stamp}, {due_at}, %(now)s, 0, ''
          FROM {source}
         WHERE ({due_at})::timestamptz IS NOT NULL
    """  # noqa: S608  (table name from the model, values as parameters)


# Deadlines per transaction. A handler holds row locks (an escalation's chat and operator)
# until its transaction commits; one at a time keeps others from waiting on a whole batch.
BATCH = 1


def deadlines_fire_due(*, limit: int = BATCH, now: datetime | None = None) -> int:
    """Run every due deadline once; return how many ran. Safe to call from many workers."""
    fired = 0
    # Only rows that existed when the sweep began: a handler that arms a new timer due
    # before `now` (a test's clock in the future) must not make one sweep run for ever.
    started = timezone.now()
    while True:
        batch = _fire_batch(limit=limit, now=now, created_before=started)
        fired += batch
        if batch < limit:
            return fired


def _fire_batch(*, limit: int, now: datetime | None, created_before: datetime) -> int:
    with schema_context("public"), transaction.atomic():
        due = list(
            Deadline.objects.select_for_update(skip_locked=True)
            .filter(done_at=None, due_at__lte=now or timezone.now(), created_at__lte=created_before)
            .order_by("due_at")[:limit]
        )
        for deadline in due:
            _fire_one(deadline)
        return len(due)


def _fire_one(deadline: Deadline) -> None:
    handler = HANDLERS.get(deadline.kind)
    try:
        with transaction.atomic(), schema_context(deadline.schema_name):
            if handler is not None:
                handler(deadline.object_id, deadline.token)
    except Exception as exc:  # the row stays pending with a back-off, then gives up
        deadline.attempts += 1
        deadline.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if deadline.attempts >= MAX_ATTEMPTS:
            deadline.done_at = timezone.now()
        else:
            deadline.due_at = timezone.now() + RETRY_DELAY * deadline.attempts
        log.exception("deadline handler failed", extra={"kind": deadline.kind})
        deadline.save(update_fields=["attempts", "last_error", "done_at", "due_at"])
        return
    # The handler may have cancelled its own row (re-arming a timer cancels the old one).
    deadline.done_at, deadline.last_error = timezone.now(), ""
    deadline.save(update_fields=["done_at", "last_error"])


def deadlines_run(
    stop: threading.Event, *, threads: int = RUNNER_THREADS, poll: float = POLL_SECONDS
) -> None:
    """Fire due deadlines until `stop` is set. Several runners (threads or processes) may run
    at once: SKIP LOCKED hands each due row to exactly one of them."""

    def loop() -> None:
        try:
            while not stop.is_set():
                try:
                    fired = deadlines_fire_due()
                except DatabaseError:
                    log.exception("deadline runner: database error; retrying in 1 s")
                    connection.close()
                    stop.wait(1.0)
                    continue
                if not fired:
                    stop.wait(poll)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=loop, name=f"deadlines-{i}", daemon=True) for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
