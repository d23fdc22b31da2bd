"""Messenger: the Django project and the shared kernel (settings, tenancy glue, health, logs)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
