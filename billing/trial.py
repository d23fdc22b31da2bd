"""The end of a trial: reminders to the company's admins at 3 days and at 0 days, then the
move to past_due (billing.services.subscriptions_advance). Run by the beat task billing.tick."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tenants.utils import schema_context

from billing.models import Subscription
from billing.services import subscriptions_advance
from messenger.tenancy import company_url
from tenants.accounts.models import User

logger = structlog.get_logger(__name__)

NOTICE_DAYS = (3, 0)  # days left when the admins are emailed


def _admin_emails(schema_name: str) -> list[str]:
    with schema_context(schema_name):
        return list(
            User.objects.filter(role=User.Role.ADMIN, is_active=True).values_list(
                "email", flat=True
            )
        )


def trial_notice_send(subscription: Subscription, days: int) -> bool:
    """Email the company's admins that the trial ends in `days` days (0: it has ended)."""
    company = subscription.company
    recipients = _admin_emails(company.schema_name)
    if not recipients:
        return False
    with translation.override(company.language):
        if days:
            subject = ngettext(
                "Your Messenger trial ends in %(days)d day",
                "Your Messenger trial ends in %(days)d days",
                days,
            ) % {"days": days}
        else:
            subject = _("Your Messenger trial has ended")
        body = render_to_string(
            "billing/email/trial_notice.txt",
            {
                "company": company,
                "days": days,
                "ends_at": subscription.trial_ends_at,
                "url": company_url(company, reverse("billing")),
            },
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return True


def trial_notices_send(now: datetime | None = None) -> int:
    """Send each reminder that is due and not yet sent; returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    due = Subscription.objects.filter(
        status=Subscription.Status.TRIALING,
        provider_subscription_id="",
        trial_ends_at__lte=now + timedelta(days=max(NOTICE_DAYS)),
    ).select_related("company")
    for subscription in due:
        left = subscription.trial_days_left(now) or 0
        days = min((d for d in NOTICE_DAYS if left <= d), default=None)
        if days is None or days in subscription.trial_notice_sent:
            continue
        with transaction.atomic():
            locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
            if days in locked.trial_notice_sent:
                continue
            trial_notice_send(subscription, days)
            locked.trial_notice_sent = [*locked.trial_notice_sent, days]
            locked.save(update_fields=["trial_notice_sent", "updated_at"])
        logger.info("billing.trial_notice", company=subscription.company_id, days=days)
        sent += 1
    return sent


def billing_tick(now: datetime | None = None) -> dict[str, int]:
    """One beat: reminders first (the 0-day one goes out as the trial ends), then the states."""
    sent = trial_notices_send(now)
    return {"notices": sent, **subscriptions_advance(now)}
