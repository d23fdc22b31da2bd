"""The getting-started checklist: computed from the company's rows, shown to admins on the
Dialogs page until done or hidden, and on a page of its own from the settings menu."""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from inboxes.conversations.services import contact_create, conversation_start, message_create
from inboxes.models import Inbox, Message
from inboxes.models.routing import BusinessHoursInterval
from tenants.accounts.models import User
from tenants.organization.models import Branch, Invitation
from tenants.organization.onboarding import onboarding_checklist
from tests.conftest import OPERATOR_EMAIL, TenantWorld

pytestmark = pytest.mark.django_db


def _done(acme: TenantWorld) -> dict[str, bool]:
    with schema_context(acme.company.schema_name):
        return {item.key: item.done for item in onboarding_checklist().items}


def _blank(acme: TenantWorld) -> Inbox:
    """Acme as just signed up: one inbox never seen on a site, the admin alone, no hours."""
    with schema_context(acme.company.schema_name):
        Invitation.objects.all().delete()
        User.objects.exclude(email=acme.admin_email).update(is_active=False)
        BusinessHoursInterval.objects.all().delete()
        Message.objects.all().delete()
        Inbox.objects.update(installed_at=None)
        return Inbox.objects.order_by("pk").first()


def test_each_checklist_item_is_ticked_by_the_row_that_does_it(acme: TenantWorld):
    inbox = _blank(acme)
    assert _done(acme) == {
        "inbox": True,
        "installed": False,
        "teammate": False,
        "hours": False,
        "answered": False,
    }
    with schema_context(acme.company.schema_name):
        Inbox.objects.filter(pk=inbox.pk).update(installed_at=timezone.now())
    assert _done(acme)["installed"] is True
    with schema_context(acme.company.schema_name):
        User.objects.filter(email=OPERATOR_EMAIL).update(is_active=True)
    assert _done(acme)["teammate"] is True
    with schema_context(acme.company.schema_name):
        BusinessHoursInterval.objects.create(
            branch=Branch.objects.first(), weekday=0, opens=time(9), closes=time(18)
        )
    assert _done(acme)["hours"] is True
    with schema_context(acme.company.schema_name):
        conversation, _ = conversation_start(inbox=inbox, contact=contact_create())
        message_create(conversation=conversation, sender_type="visitor", body="Hi", client_id=None)
        assert _done(acme)["answered"] is False  # a visitor's message is no answer
        admin = User.objects.get(email=acme.admin_email)
        message_create(
            conversation=conversation,
            sender_type="operator",
            body="Hello!",
            client_id=None,
            sender_user=admin,
        )
        assert onboarding_checklist().complete


def test_a_pending_invitation_counts_as_inviting_a_teammate(acme: TenantWorld):
    _blank(acme)
    with schema_context(acme.company.schema_name):
        Invitation.objects.create(
            email="new@example.com",
            role=User.Role.OPERATOR,
            token_hash="onboarding-test",
            expires_at=timezone.now() + timezone.timedelta(days=1),
        )
    assert _done(acme)["teammate"] is True


def test_a_company_without_inboxes_is_sent_to_create_one(acme: TenantWorld):
    _blank(acme)
    with schema_context(acme.company.schema_name):
        Inbox.objects.all().delete()
        items = {item.key: item for item in onboarding_checklist().items}
    assert not items["inbox"].done and items["installed"].url == "/settings/inboxes/new/"


def test_admins_see_the_checklist_on_the_dialogs_page_with_links(acme: TenantWorld):
    inbox = _blank(acme)
    page = acme.login().get("/dialogs/").content.decode()
    assert 'id="onboarding"' in page
    assert "1 of 5 done" in page
    assert f'href="/settings/inboxes/{inbox.pk}/"' in page  # where the widget code is
    assert 'href="/settings/team/"' in page


def test_operators_never_see_the_checklist(acme: TenantWorld):
    _blank(acme)
    with schema_context(acme.company.schema_name):
        User.objects.filter(email=OPERATOR_EMAIL).update(is_active=True)
    page = acme.login(OPERATOR_EMAIL).get("/dialogs/").content.decode()
    assert 'id="onboarding"' not in page and 'id="nav-onboarding"' not in page
    assert acme.login(OPERATOR_EMAIL).get("/settings/onboarding/").status_code == 403


def test_hiding_the_checklist_is_per_person_and_the_settings_page_reopens_it(acme: TenantWorld):
    _blank(acme)
    client = acme.login()
    response = client.post("/settings/onboarding/visibility/", {"hidden": "1"})
    assert response.status_code == 302
    assert 'id="onboarding"' not in client.get("/dialogs/").content.decode()
    # the settings menu still leads to it, with a way to bring it back
    page = client.get("/settings/onboarding/").content.decode()
    assert 'id="onboarding"' in page and 'id="onboarding-show"' in page
    client.post("/settings/onboarding/visibility/", {"hidden": "0"})
    assert 'id="onboarding"' in client.get("/dialogs/").content.decode()


def test_the_checklist_leaves_the_dialogs_page_once_everything_is_done(acme: TenantWorld):
    with schema_context(acme.company.schema_name):
        inbox = Inbox.objects.order_by("pk").first()
        Inbox.objects.filter(pk=inbox.pk).update(installed_at=timezone.now())
        BusinessHoursInterval.objects.create(
            branch=Branch.objects.first(), weekday=0, opens=time(9), closes=time(18)
        )
        conversation, _ = conversation_start(inbox=inbox, contact=contact_create())
        message_create(
            conversation=conversation,
            sender_type="operator",
            body="Hello!",
            client_id=None,
            sender_user=User.objects.get(email=acme.admin_email),
        )
    client = acme.login()
    assert 'id="onboarding"' not in client.get("/dialogs/").content.decode()
    assert 'id="onboarding-complete"' in client.get("/settings/onboarding/").content.decode()
