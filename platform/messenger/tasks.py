"""Enqueueing Celery tasks safely: after commit, with the schema captured at call time.

tenant-schemas-celery reads the schema from the message headers; taking it when the service
runs (not when the transaction commits, by which time the connection may serve another
company) keeps every task in the company that caused it.

A task is named by its dotted path ("inboxes.tasks.offline_request_notify"): task modules are
entry points, and services and views name the message they send instead of importing the
module that handles it (docs/boundaries.md). The module is imported when the message is sent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from django.db import transaction

from messenger.schema import current_schema

if TYPE_CHECKING:  # the task brings its Celery app along; a caller of this loads no Celery
    from celery import Task


def task_named(name: str) -> Task:
    """The task object registered at the dotted path `name` (module path + attribute)."""
    module, _, attribute = name.rpartition(".")
    task: Task = getattr(importlib.import_module(module), attribute)
    return task


def enqueue_on_commit(task: str, *args: Any, **kwargs: Any) -> None:
    """Send the task named `task` (`module.function`) with `*args, **kwargs` once the current
    transaction commits, in this schema."""
    schema = current_schema()
    transaction.on_commit(
        lambda: task_named(task).apply_async(
            args=args, kwargs=kwargs, headers={"_schema_name": schema}
        )
    )
