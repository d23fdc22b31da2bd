"""Subscription states: the trial banner and reminders, past_due, read-only after the grace
(chats go on, changes wait), and payment restoring everything at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import GRACE_DAYS, Subscription
from billing.services import ProviderState, subscription_sync, subscriptions_advance
from billing.trial import billing_tick
from tenants.organization.models import Branch
from tests.billing.conftest import subscription_put
from tests.inboxes.conftest import make_inbox, visitor_session
from tests.inboxes.test_offline_requests import smtp  # noqa: F401 (fixture: SMTP on loopback)

pytestmark = pytest.mark.django_db


def test_the_trial_banner_shows_from_three_days_before_the_end(acme):
    client = acme.login()
    subscription_put(acme.company, trial_ends_at=timezone.now() + timedelta(days=5))
    assert 'id="billing-banner"' not in client.get("/dialogs/").content.decode()
    subscription_put(acme.company, trial_ends_at=timezone.now() + timedelta(days=2, hours=1))
    page = client.get("/dialogs/").content.decode()
    assert "Your trial ends in 3 days" in page
    assert 'href="/billing/"' in page


def test_admins_are_emailed_at_three_days_and_at_the_end_then_the_trial_is_past_due(
    acme,
    smtp,  # noqa: F811
):
    ends = timezone.now() + timedelta(days=2, hours=20)
    subscription_put(acme.company, trial_ends_at=ends)
    billing_tick()
    [first] = smtp.wait_for(1)
    assert first["To"] == acme.admin_email
    assert first["Subject"] == "Your Messenger trial ends in 3 days"
    assert "/billing/" in first.get_content()
    billing_tick()  # a second beat sends nothing again
    assert Subscription.objects.get(company=acme.company).trial_notice_sent == [3]
    billing_tick(now=ends + timedelta(minutes=1))
    messages = smtp.wait_for(2)
    assert messages[1]["Subject"] == "Your Messenger trial has ended"
    subscription = Subscription.objects.get(company=acme.company)
    assert subscription.status == "past_due"
    assert subscription.trial_notice_sent == [3, 0]
    assert len(smtp.messages) == 2


def test_past_due_becomes_read_only_after_the_grace_and_nothing_is_deleted(acme):
    since = timezone.now() - timedelta(days=GRACE_DAYS, minutes=1)
    subscription_put(acme.company, status="past_due", past_due_since=since)
    with schema_context(acme.company.schema_name):
        branches = Branch.objects.count()
    assert subscriptions_advance()["read_only"] >= 1
    assert Subscription.objects.get(company=acme.company).status == "read_only"
    with schema_context(acme.company.schema_name):
        assert Branch.objects.count() == branches


def _new_branch(client):  # type: ignore[no-untyped-def]
    return client.post(
        "/settings/branches/",
        {"name": f"B {uuid.uuid4().hex[:6]}", "region": "", "timezone": "Europe/Moscow"},
    )


def test_a_read_only_account_keeps_chatting_but_refuses_changes_until_payment(acme):
    inbox = make_inbox(acme)
    subscription_put(acme.company, status="read_only", past_due_since=timezone.now())
    admin = acme.login()
    # changes wait, with the reason and the way to pay
    refused = _new_branch(admin)
    assert refused.status_code == 403
    assert "account is read-only" in refused.content.decode()
    assert 'href="/billing/"' in refused.content.decode()
    api = admin.post("/api/v1/branches", {"name": "X"}, content_type="application/json")
    assert api.status_code == 403 and "read-only" in api.json()["detail"]
    # visitors are never refused, and the team reads and answers
    visitor = visitor_session(inbox.public_key)
    conversation_id = visitor.start()
    assert visitor.send(conversation_id, "hello").status_code in (200, 201)
    assert admin.get("/dialogs/").status_code == 200
    reply = admin.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        {"body": "hi", "client_id": str(uuid.uuid4())},
        content_type="application/json",
    )
    assert reply.status_code == 201
    assert admin.get("/billing/").status_code == 200
    # paying restores everything at once
    subscription_sync(
        company=acme.company,
        provider="stripe",
        state=ProviderState(
            subscription_id="sub_x",
            customer_id="cus_x",
            status="active",
            seats=10,
            provider_price_id="",
            current_period_end=None,
            trial_ends_at=None,
        ),
    )
    assert _new_branch(admin).status_code == 302


def test_the_beat_runs_the_billing_tick_in_the_public_schema(settings):
    from billing.tasks import billing_tick as task
    from messenger.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["billing"]
    assert app.tasks[entry["task"]].name == task.name == "billing.tick"
    assert entry["options"]["headers"] == {"_schema_name": "public"}
