"""Messenger: the Django project and the shared kernel (settings, tenancy glue, health, logs).

The Celery app lives in `messenger.celery` and is imported only by what needs it: the task
modules (so a process loads it when it first sends a task) and `celery -A messenger`, which
finds `messenger.celery.app` by itself. Importing it here would load Celery, kombu and
tenant-schemas-celery into every process at start, whether it ever sends a task or not.
"""
