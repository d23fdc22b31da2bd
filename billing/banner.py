"""The panel's billing banner: trial ending, payment due, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing.models import Subscription
from billing.services import subscription_of
from tenants.companies.models import Company

TRIAL_BANNER_DAYS = 3  # the banner shows from this many days before the trial ends


@dataclass(frozen=True)
class Banner:
    level: str  # "warn" or "bad"
    text: str


def banner_for(company: Company, now: datetime | None = None) -> Banner | None:
    subscription = subscription_of(company)
    status = subscription.status
    if status == Subscription.Status.TRIALING:
        left = subscription.trial_days_left(now)
        if left is None or left > TRIAL_BANNER_DAYS:
            return None
        if left == 0:
            return Banner("warn", _("Your trial ends today. Choose a plan to keep every feature."))
        return Banner(
            "warn",
            ngettext(
                "Your trial ends in %(days)d day. Choose a plan to keep every feature.",
                "Your trial ends in %(days)d days. Choose a plan to keep every feature.",
                left,
            )
            % {"days": left},
        )
    if status == Subscription.Status.PAST_DUE:
        return Banner(
            "warn",
            _(
                "Payment is due. Pay by %(date)s to keep changing settings; chats keep working "
                "whatever happens."
            )
            % {"date": timezone.localtime(subscription.grace_ends_at).strftime("%Y-%m-%d")},
        )
    if status in (Subscription.Status.READ_ONLY, Subscription.Status.CANCELED):
        return Banner(
            "bad",
            _(
                "The account is read-only until payment: chats keep arriving and can be "
                "answered, but people, inboxes and settings cannot change."
            ),
        )
    return None
