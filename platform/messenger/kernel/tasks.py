"""Kernel tasks: the deadline sweep beat runs (a safety net behind `manage.py deadlines_run`),
and the delivery of queued domain-event listeners."""

from __future__ import annotations

import logging
from typing import Any

from messenger.celery import app
from messenger.kernel import events
from messenger.kernel.deadlines import deadlines_fire_due

log = logging.getLogger(__name__)


@app.task(name="kernel.deadlines_fire", acks_late=True, time_limit=120, ignore_result=True)
def deadlines_fire() -> int:
    return deadlines_fire_due()


@app.task(
    name="kernel.event_deliver",
    bind=True,
    acks_late=True,
    max_retries=8,
    time_limit=120,
    ignore_result=True,
)
def event_deliver(self: Any, listener_name: str, event: dict[str, Any]) -> bool:
    """A queued domain-event listener (messenger.kernel.events): once per event id, retried
    with backoff (1 s, 2 s, 4 s … 5 min) while it fails."""
    occurrence = events.Event.from_dict(event)
    try:
        return events.deliver(listener_name, occurrence)
    except Exception as exc:
        log.warning(
            "queued event listener failed; retrying",
            extra={"event_id": occurrence.id, "event": occurrence.name, "listener": listener_name},
            exc_info=True,
        )
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from exc
