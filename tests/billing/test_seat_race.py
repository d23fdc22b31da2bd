"""Two admins inviting at the same moment cannot both take the last seat: the check locks the
subscription row inside the invitation's transaction."""

from __future__ import annotations

import threading
import uuid

from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from billing.limits import seat_usage
from billing.models import Subscription
from tenants.accounts.models import User
from tenants.organization import invitations
from tenants.organization.models import Invitation


def test_two_invitations_at_once_cannot_both_take_the_last_seat(live_db):
    world = live_db["initech"]
    subscription = Subscription.objects.get(company=world.company)
    paid_before = subscription.seats
    with schema_context(world.company.schema_name):
        used = seat_usage(subscription).used
    Subscription.objects.filter(pk=subscription.pk).update(seats=used + 1)
    emails = [f"race-{uuid.uuid4().hex[:8]}-{n}@example.com" for n in range(2)]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def invite(email: str) -> None:
        try:
            with schema_context(world.company.schema_name):
                admin = User.objects.get(email=world.admin_email)
                start.wait(timeout=30)
                invitations.operator_invite(
                    email=email,
                    full_name="",
                    role="operator",
                    branch_ids=[],
                    actor=admin,
                    accept_url_for=lambda token: f"https://initech.localhost/invite/{token}/",
                )
            outcomes.append("invited")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=invite, args=(email,)) for email in emails]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["invited", "refused"]
        with schema_context(world.company.schema_name):
            assert Invitation.objects.filter(email__in=emails).count() == 1
    finally:
        with schema_context(world.company.schema_name):
            Invitation.objects.filter(email__in=emails).delete()
        Subscription.objects.filter(pk=subscription.pk).update(seats=paid_before)
