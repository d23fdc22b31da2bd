"""Celery entry points of the console (thin: call a service)."""

from __future__ import annotations

from messenger.celery import app
from tenants.console import impersonation


@app.task(name="console.staff_access_expire")
def staff_access_expire() -> int:
    """End (and audit) staff visits past their time that no request has ended yet."""
    return impersonation.staff_access_expire_due()
