"""A company's last activity moves on real activity (a stored message, a login), at most once
per ACTIVITY_EVERY, and its conversations are counted per month, as they happen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes.conversations import services
from tenants.companies.models import Company
from tenants.console import activity, selectors
from tenants.console.models import CompanyMonthUsage
from tests.inboxes.conftest import make_inbox

pytestmark = pytest.mark.django_db


def _forget_throttle(company: Company) -> None:
    activity.activity_memory_clear()


def _month_count(company: Company) -> int:
    usage = CompanyMonthUsage.objects.filter(
        company=company, month=selectors.month_start().date()
    ).first()
    return usage.conversations if usage else 0


def test_a_stored_message_moves_last_activity_and_a_new_chat_is_counted(
    acme, django_capture_on_commit_callbacks
):
    company = acme.company
    _forget_throttle(company)
    long_ago = timezone.now() - timedelta(days=30)
    Company.objects.filter(pk=company.pk).update(last_activity_at=long_ago)
    counted = _month_count(company)
    inbox = make_inbox(acme)
    with schema_context(company.schema_name), django_capture_on_commit_callbacks(execute=True):
        conversation, _ = services.conversation_start(
            inbox=inbox, contact=services.contact_create()
        )
        services.message_create(
            conversation=conversation, sender_type="visitor", body="Hi", client_id=None
        )
    company.refresh_from_db()
    assert company.last_activity_at > long_ago + timedelta(days=29)
    assert _month_count(company) == counted + 1


def test_activity_is_written_at_most_once_per_interval(acme):
    company = acme.company
    Company.objects.filter(pk=company.pk).update(last_activity_at=None)
    _forget_throttle(company)
    assert activity.company_activity_touch(company.schema_name) is True
    assert activity.company_activity_touch(company.schema_name) is False
    _forget_throttle(company)  # another process: the database refuses the recent value
    assert activity.company_activity_touch(company.schema_name) is False


def test_conversations_are_counted_per_month_with_one_upsert_each(acme):
    company = acme.company
    before = _month_count(company)
    activity.conversation_count_add(company.schema_name)
    activity.conversation_count_add(company.schema_name)
    assert _month_count(company) == before + 2
