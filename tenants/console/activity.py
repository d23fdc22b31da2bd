"""Company activity the console shows, kept in the public schema as it happens: the last
activity (a stored message; an operator's login is in tenants.accounts.views) at most about
once per `ACTIVITY_EVERY` per company, and the conversations started each month. Both listen to the
kernel's domain events after commit, so they never slow or fail the request that stored."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from messenger.kernel import events as domain
from tenants.companies.models import Company
from tenants.console.models import CompanyMonthUsage

ACTIVITY_EVERY = timedelta(minutes=5)


_written: dict[str, float] = {}  # schema → monotonic time this process last wrote it


def company_activity_touch(schema_name: str) -> bool:
    """Move the company's last activity to now, unless it moved within ACTIVITY_EVERY. This
    process remembers its own writes (most messages cost nothing), and the update itself only
    matches an older value, so many processes write at most about once per interval. No Redis:
    a message stored while Redis is down is not slowed. True if this call wrote."""
    now_mono = time.monotonic()
    last = _written.get(schema_name)
    if last is not None and now_mono - last < ACTIVITY_EVERY.total_seconds():
        return False
    _written[schema_name] = now_mono
    now = timezone.now()
    moved = (
        Company.objects.filter(schema_name=schema_name)
        .filter(Q(last_activity_at=None) | Q(last_activity_at__lt=now - ACTIVITY_EVERY))
        .update(last_activity_at=now)
    )
    return bool(moved)


def activity_memory_clear() -> None:
    """Forget this process's writes (tests)."""
    _written.clear()


def conversation_count_add(schema_name: str) -> None:
    """Count one new conversation in the company's current month (one upsert)."""
    month = timezone.now().date().replace(day=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO public.{CompanyMonthUsage._meta.db_table}
                    (company_id, month, conversations)
                SELECT id, %s, 1 FROM public.{Company._meta.db_table} WHERE schema_name = %s
                ON CONFLICT (company_id, month)
                DO UPDATE SET conversations = EXCLUDED.conversations
                    + {CompanyMonthUsage._meta.db_table}.conversations""",  # noqa: S608 (table names)
            [month, schema_name],
        )


def _message_sent(event: domain.Event) -> None:
    company_activity_touch(event.schema_name)


def _conversation_created(event: domain.Event) -> None:
    conversation_count_add(event.schema_name)
    company_activity_touch(event.schema_name)


def register() -> None:
    domain.listener_add(domain.MESSAGE_SENT, _message_sent, kind=domain.AFTER_COMMIT)
    domain.listener_add(
        domain.CONVERSATION_CREATED, _conversation_created, kind=domain.AFTER_COMMIT
    )
