"""Celery entry points of billing (thin: call a service)."""

from __future__ import annotations

from billing import trial
from messenger.celery import EMAIL_TASK, app


@app.task(name="billing.tick", **{**EMAIL_TASK, "time_limit": 300})
def billing_tick() -> dict[str, int]:
    """Trial reminders and the moves trialing → past_due → read_only (every 15 minutes)."""
    return trial.billing_tick()
