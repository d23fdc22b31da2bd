"""Kernel tasks: the deadline sweep beat runs, a safety net behind `manage.py deadlines_run`."""

from __future__ import annotations

from messenger.celery import app
from messenger.kernel.deadlines import deadlines_fire_due


@app.task(name="kernel.deadlines_fire", acks_late=True, time_limit=120, ignore_result=True)
def deadlines_fire() -> int:
    return deadlines_fire_due()
