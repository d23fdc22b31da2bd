"""The writes of one assignment as one SQL statement: the hot path of routing.

Giving a chat to someone (or back to the queue) writes three things: the assignment's history
row, the conversation's fields, and the escalation timer (the old one cancelled, a new one
armed). Through the ORM that was three to four round trips and most of an assignment's CPU
(bench/routing.py); here they are data-modifying CTEs of one statement, run in the caller's
transaction with the conversation's row already locked.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from django.db import connection

from inboxes.models import Conversation, ConversationAssignment
from messenger.kernel.deadlines import deadline_schedule_sql, deadlines_cancel_sql


@cache
def statement() -> str:
    """The SQL, with named parameters (see `write`). The timer's two writes come from the
    kernel's deadline module, the one writer of that table."""
    q = connection.ops.quote_name
    assignments = q(ConversationAssignment._meta.db_table)
    conversations = q(Conversation._meta.db_table)
    cancel = deadlines_cancel_sql(object_id="%(conversation_id)s", when="%(cancel_timer)s")
    arm = deadline_schedule_sql(
        object_id="%(conversation_id)s", stamp="record.id", due_at="%(due_at)s", source="record"
    )
    return f"""
        WITH cancelled AS ({cancel}), record AS (
            INSERT INTO {assignments}
                   (conversation_id, assignee_id, branch_id, reason, actor_id, note, created_at)
            VALUES (%(conversation_id)s, %(assignee_id)s, %(branch_id)s, %(reason)s,
                    %(actor_id)s, %(note)s, %(now)s)
         RETURNING id
        ), updated AS (
            UPDATE {conversations}
               SET assignee_id = %(assignee_id)s, status = %(status)s,
                   queued_at = %(queued_at)s, assigned_at = %(assigned_at)s, opened_at = NULL,
                   branch_id = %(branch_id)s
             WHERE id = %(conversation_id)s
        ), timer AS ({arm})
        SELECT id FROM record
    """  # noqa: S608  (names from the models' metadata, values as parameters)


def write(
    *,
    conversation: Conversation,
    assignee_id: int | None,
    reason: str,
    actor_id: int | None,
    note: str,
    now: datetime,
    cancel_timer: bool,
    timer_kind: str,
    timer_due_at: datetime | None,
) -> int:
    """Store the assignment row and the conversation's new fields (already set on
    `conversation`), cancel its pending timer when asked, arm one when due; the row's id."""
    with connection.cursor() as cursor:
        cursor.execute(
            statement(),
            {
                "now": now,
                "cancel_timer": cancel_timer,
                "schema": connection.schema_name,  # type: ignore[attr-defined]  # django-tenants
                "kind": timer_kind,
                "conversation_id": conversation.pk,
                "assignee_id": assignee_id,
                "branch_id": conversation.branch_id,
                "reason": reason,
                "actor_id": actor_id,
                "note": note,
                "status": conversation.status,
                "queued_at": conversation.queued_at,
                "assigned_at": conversation.assigned_at,
                "due_at": timer_due_at,
            },
        )
        return int(cursor.fetchone()[0])
