"""Plans, their prices, each company's subscription and the provider events seen (public schema).

Plans are data, not code: the seed migration (billing/migrations/0003_seed_plans.py) writes the
starting catalogue and staff edit it afterwards. See docs/billing.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Feature codes a plan may include (Plan.features); `billing.entitlements.company_has` reads them.
FEATURE_ANALYTICS = "analytics"
FEATURE_SUPERVISION = "supervision"
FEATURE_API_ACCESS = "api_access"
FEATURES = (FEATURE_ANALYTICS, FEATURE_SUPERVISION, FEATURE_API_ACCESS)

# After a payment fails (or a trial ends unpaid) the panel stays fully usable this long.
GRACE_DAYS = 7


class Plan(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    # The plan new companies start on; exactly one should have it.
    is_trial = models.BooleanField(default=False)
    trial_days = models.PositiveIntegerField(default=14)
    # Shown on the billing page as an upgrade choice.
    is_public = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=0)
    features = models.JSONField(default=list, blank=True)  # feature codes, see FEATURES
    # Limits; None is unlimited. A trial's seats are `max_seats`; a paid plan's are bought.
    max_seats = models.PositiveIntegerField(null=True, blank=True)
    max_inboxes = models.PositiveIntegerField(null=True, blank=True)
    max_conversations_per_month = models.PositiveIntegerField(null=True, blank=True)
    file_size_mb = models.PositiveIntegerField(default=25)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.name

    def includes(self, feature: str) -> bool:
        return feature in (self.features or [])


class PlanPrice(models.Model):
    """The price of one seat of a plan, in one currency, for one billing interval."""

    class Currency(models.TextChoices):
        RUB = "rub", "RUB"
        USD = "usd", "USD"

    class Interval(models.TextChoices):
        MONTH = "month", _("per month")
        YEAR = "year", _("per year")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, choices=Currency.choices)
    interval = models.CharField(max_length=5, choices=Interval.choices)
    amount_minor = models.PositiveIntegerField()  # per seat, in kopecks or cents
    # The provider's id for this price (a Stripe Price `price_…` in production).
    provider_price_id = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "currency", "interval"], name="billing_price_one_per_interval"
            )
        ]

    @property
    def amount(self) -> float:
        return self.amount_minor / 100


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment due")
        READ_ONLY = "read_only", _("Read-only until payment")
        CANCELED = "canceled", _("Canceled")

    company = models.OneToOneField(
        "companies.Company", on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT)
    price = models.ForeignKey(PlanPrice, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIALING)
    seats = models.PositiveIntegerField(default=1)  # paid seats (the trial plan's during a trial)
    # Seats staff gave for free, on top of the paid ones (not part of the revenue).
    free_seats = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    provider_customer_id = models.CharField(max_length=120, blank=True, db_index=True)
    provider_subscription_id = models.CharField(max_length=120, blank=True, db_index=True)
    trial_notice_sent = models.JSONField(default=list, blank=True)  # days-left reminders sent
    updated_at = models.DateTimeField(auto_now=True)

    @property
    def can_write(self) -> bool:
        """Whether settings, seats and inboxes may change (False until a payment)."""
        return self.status in (self.Status.TRIALING, self.Status.ACTIVE, self.Status.PAST_DUE)

    @property
    def grace_ends_at(self) -> datetime | None:
        if self.past_due_since is None:
            return None
        return self.past_due_since + timedelta(days=GRACE_DAYS)

    def trial_days_left(self, now: datetime | None = None) -> int | None:
        if self.status != self.Status.TRIALING or self.trial_ends_at is None:
            return None
        left = self.trial_ends_at - (now or timezone.now())
        return max(0, left.days + (1 if left.seconds or left.microseconds else 0))


class WebhookEvent(models.Model):
    """A provider event handled once: a replay of the same id changes nothing."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="billing_event_once")
        ]


class SubscriptionChange(models.Model):
    """One change of a subscription's plan, seats, price or status, with its monthly recurring
    revenue before and after (minor units, in the price's currency). Written by
    billing.changes from billing.services; the console's business page reads the history."""

    class Kind(models.TextChoices):
        NEW = "new", _("New")
        EXPANSION = "expansion", _("Expansion")
        CONTRACTION = "contraction", _("Contraction")
        CHURN = "churn", _("Churn")
        OTHER = "other", _("No revenue change")

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="subscription_changes"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status_before = models.CharField(max_length=16, blank=True)
    status_after = models.CharField(max_length=16)
    plan_code = models.CharField(max_length=50, blank=True)
    seats = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    mrr_before_minor = models.IntegerField(default=0)
    mrr_after_minor = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    @property
    def delta_minor(self) -> int:
        return self.mrr_after_minor - self.mrr_before_minor
