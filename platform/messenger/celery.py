"""The Celery app: tenant-aware tasks (each message carries the schema it was sent from)."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "messenger.settings")

app = CeleryApp("messenger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
