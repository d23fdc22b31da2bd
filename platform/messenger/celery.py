"""The Celery app: tenant-aware tasks (each message carries the schema it was sent from)."""

from __future__ import annotations

import os
import smtplib
from typing import Any

from celery import Celery
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "messenger.settings")

app: Celery = CeleryApp("messenger")  # typed as Celery: tenant-schemas-celery has no types
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every task that sends an email: acknowledged after it ran (a crash re-runs it), retried with
# backoff while the mail server is unreachable or refuses, bounded in time.
EMAIL_TASK: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OSError, smtplib.SMTPException),
    "retry_backoff": True,
    "max_retries": 6,
    "time_limit": 60,
}
