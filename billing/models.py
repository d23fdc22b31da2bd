"""Plans and subscriptions, in the public schema."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)
    max_operators = models.PositiveIntegerField(default=3)
    monthly_price_cents = models.PositiveIntegerField(default=0)
    stripe_price_id = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trial")
        ACTIVE = "active", _("Active")
        CANCELED = "canceled", _("Canceled")

    company = models.OneToOneField(
        "companies.Company", on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIALING)
    started_at = models.DateTimeField(default=timezone.now)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
