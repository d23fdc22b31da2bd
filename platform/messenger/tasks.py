"""Enqueueing Celery tasks safely: after commit, with the schema captured at call time.

tenant-schemas-celery reads the schema from the message headers; taking it when the service
runs (not when the transaction commits, by which time the connection may serve another
company) keeps every task in the company that caused it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

if TYPE_CHECKING:  # the task brings its Celery app along; a caller of this loads no Celery
    from celery import Task


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send `task(*args, **kwargs)` once the current transaction commits, in this schema."""
    schema = connection.schema_name
    transaction.on_commit(
        lambda: task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema})
    )
