"""Kernel tables (public schema): deadlines, and the queued event deliveries done.

Deadlines: the one table of timed work for every company.

Escalation timers and presence grace periods are rows here, not only broker-delayed tasks:
a worker takes due rows with `FOR UPDATE SKIP LOCKED`, runs the handler in the company's
schema and marks the row done in the same transaction, so a restart or a Redis flush loses
nothing and nothing fires twice. A partial index on `due_at` of pending rows makes finding due
work cost in proportion to the due rows, not to the number of companies.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now


class Deadline(models.Model):
    schema_name = models.CharField(max_length=63)
    kind = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    # A token the handler checks (e.g. the assignment id): a stale deadline does nothing.
    token = models.BigIntegerField(default=0)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=now)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], name="deadline_pending_due", condition=Q(done_at__isnull=True)
            ),
            models.Index(fields=["schema_name", "kind", "object_id"], name="deadline_object"),
        ]


class HandledEvent(models.Model):
    """A queued event listener that has run for an event (public schema, every company):
    written in the listener's own transaction, so a repeat delivery of the same event is
    skipped and a failed one is not marked (messenger.kernel.events.deliver)."""

    event_id = models.CharField(max_length=32)
    listener = models.CharField(max_length=200)
    event_name = models.CharField(max_length=60)
    schema_name = models.CharField(max_length=63)
    handled_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "listener"], name="event_handled_once")
        ]
