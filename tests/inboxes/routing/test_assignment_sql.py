"""The one-statement assignment (`inboxes/routing/assignment_sql.py`) against its specification:
the same writes through the ORM and the kernel's deadline API, compared column by column.

Also: the escalation timer's rows are written only by the kernel's deadline module, and a
deleted company leaves no pending deadline behind.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes.models import Conversation, ConversationAssignment
from inboxes.routing import assignment_sql
from messenger.kernel.deadlines import deadline_schedule, deadlines_cancel
from messenger.kernel.models import Deadline
from tenants.companies.models import Company
from tests.conftest import _make_company
from tests.inboxes.routing.conftest import new_chat, people

KIND = "escalation"


def orm_spec(
    *,
    conversation: Conversation,
    assignee_id: int | None,
    reason: str,
    actor_id: int | None,
    note: str,
    now: Any,
    cancel_timer: bool,
    timer_kind: str,
    timer_due_at: Any,
) -> int:
    """What `assignment_sql.write` must do, written plainly."""
    if cancel_timer:
        deadlines_cancel(kind=timer_kind, object_id=conversation.pk)
    record = ConversationAssignment.objects.create(
        conversation_id=conversation.pk,
        assignee_id=assignee_id,
        branch_id=conversation.branch_id,
        reason=reason,
        actor_id=actor_id,
        note=note,
        created_at=now,
    )
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee_id=assignee_id,
        status=conversation.status,
        queued_at=conversation.queued_at,
        assigned_at=conversation.assigned_at,
        opened_at=None,
        branch_id=conversation.branch_id,
    )
    if timer_due_at is not None:
        deadline_schedule(
            kind=timer_kind, object_id=conversation.pk, due_at=timer_due_at, token=record.pk
        )
    return record.pk


def written(conversation: Conversation, record_id: int) -> dict[str, Any]:
    """Every column the write touched, without the ids that differ between two chats."""
    chat = Conversation.objects.get(pk=conversation.pk)
    record = ConversationAssignment.objects.get(pk=record_id)
    deadlines = Deadline.objects.filter(
        schema_name=connection.schema_name, kind=KIND, object_id=conversation.pk
    ).order_by("id")
    return {
        "conversation": {
            key: value
            for key, value in model_to_dict(chat).items()
            if key in {"assignee", "status", "queued_at", "assigned_at", "opened_at", "branch"}
        },
        "record": {
            k: v for k, v in model_to_dict(record).items() if k not in {"id", "conversation"}
        },
        # Clocks differ by microseconds between the two paths (the ORM's stamps its own
        # `now`): what must match is which timers are pending, cancelled or new, and when
        # the new one is due.
        "deadlines": [
            {
                "schema_name": d.schema_name,
                "kind": d.kind,
                "pending": d.done_at is None,
                "last_error": d.last_error,
                "attempts": d.attempts,
                "token_is_record": d.token == record_id,
                "due_at": d.due_at if d.token == record_id else None,
            }
            for d in deadlines
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cancel_timer", "with_timer"), [(True, True), (True, False), (False, True)]
)
def test_the_one_statement_assignment_writes_what_the_orm_and_deadline_api_write(
    inbox, main_branch, cancel_timer: bool, with_timer: bool
) -> None:
    first, second = people(main_branch, 2, prefix=f"spec{int(cancel_timer)}{int(with_timer)}")
    by_sql, by_orm = new_chat(inbox), new_chat(inbox)  # each routed, with a pending timer
    now = timezone.now()
    due_at = now + timedelta(minutes=4) if with_timer else None
    results = []
    for chat, write in ((by_sql, assignment_sql.write), (by_orm, orm_spec)):
        chat.refresh_from_db()
        chat.assignee_id = second.pk
        chat.status = Conversation.Status.OPEN
        chat.assigned_at = now
        with transaction.atomic():
            record_id = write(
                conversation=chat,
                assignee_id=second.pk,
                reason="transfer",
                actor_id=first.pk,
                note="over to you",
                now=now,
                cancel_timer=cancel_timer,
                timer_kind=KIND,
                timer_due_at=due_at,
            )
        results.append(written(chat, record_id))
    assert results[0] == results[1]
    pending = [d for d in results[0]["deadlines"] if d["pending"]]
    assert len(pending) == (1 if with_timer else 0) + (0 if cancel_timer else 1)


def test_only_the_kernels_deadline_module_names_the_deadline_table() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    table = Deadline._meta.db_table
    writers = sorted(
        str(path.relative_to(root))
        for folder in ("inboxes", "tenants", "billing", "platform")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts and table in path.read_text(encoding="utf-8")
    )
    assert writers == [], writers  # the SQL takes the table's name from the model, in the kernel
    source = (root / "inboxes/routing/assignment_sql.py").read_text(encoding="utf-8")
    assert "Deadline" not in source and "deadline_schedule_sql" in source


def test_a_deleted_company_leaves_no_pending_deadline(live_db) -> None:  # type: ignore[no-untyped-def]
    world = _make_company(f"d{uuid.uuid4().hex[:10]}")
    try:
        with schema_context(world.company.schema_name):
            deadline_schedule(kind=KIND, object_id=1, due_at=timezone.now() + timedelta(hours=1))
        assert Deadline.objects.filter(schema_name=world.company.schema_name, done_at=None).exists()
    finally:
        Company.objects.get(pk=world.company.pk).delete(force_drop=True)
    left = Deadline.objects.filter(schema_name=world.company.schema_name)
    assert left.exists()
    assert not left.filter(done_at=None).exists()
    assert set(left.values_list("last_error", flat=True)) == {"cancelled"}
