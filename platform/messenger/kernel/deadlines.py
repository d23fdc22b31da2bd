"""Schedule, cancel and fire deadlines (see `models.Deadline` for the guarantees).

Handlers are registered per kind by the apps that own them; each runs inside the company's
schema and the same transaction that marks its row done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from messenger.kernel.models import Deadline

log = logging.getLogger(__name__)

Handler = Callable[[int, int], None]  # (object_id, token)
HANDLERS: dict[str, Handler] = {}
RETRY_DELAY = timedelta(seconds=30)
MAX_ATTEMPTS = 5


def deadline_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def deadline_schedule(*, kind: str, object_id: int, due_at: datetime, token: int = 0) -> Deadline:
    """A deadline in the active company's schema; the worker is woken for it after commit."""
    deadline = Deadline.objects.create(
        schema_name=connection.schema_name,
        kind=kind,
        object_id=object_id,
        token=token,
        due_at=due_at,
    )
    from messenger.kernel.tasks import deadlines_fire

    delay = max(0.0, (due_at - timezone.now()).total_seconds())
    transaction.on_commit(lambda: _wake(deadlines_fire, delay))
    return deadline


def _wake(task, delay: float) -> None:  # type: ignore[no-untyped-def]
    try:
        task.apply_async(countdown=delay, headers={"_schema_name": "public"})
    except Exception:  # the periodic sweep fires it anyway; the broker is only a wake-up
        log.warning("could not enqueue a deadline wake-up", exc_info=True)


def deadlines_cancel(*, kind: str, object_id: int) -> int:
    """Mark the pending deadlines of an object done without running them."""
    return Deadline.objects.filter(
        schema_name=connection.schema_name, kind=kind, object_id=object_id, done_at=None
    ).update(done_at=timezone.now(), last_error="cancelled")


# Deadlines per transaction. A handler holds row locks (the branch of an escalation) until its
# transaction commits; one at a time keeps new chats into that branch from waiting on a batch.
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
            .filter(done_at=None, due_at__lte=now or timezone.now(),
                    created_at__lte=created_before)
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
