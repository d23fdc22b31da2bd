"""The console's audit record: every action platform staff take (who, what, when, from where)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ConsoleAuditRecord(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.EmailField()
    action = models.CharField(max_length=64)
    company = models.ForeignKey(
        "companies.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]


class CompanyMonthUsage(models.Model):
    """Conversations a company started in one calendar month (UTC), counted as they are created
    (tenants.console.activity), so the console sorts companies by it without opening schemas."""

    company = models.ForeignKey(
        "companies.Company", on_delete=models.CASCADE, related_name="month_usage"
    )
    month = models.DateField()  # the first day of the month
    conversations = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "month"], name="console_usage_one_per_month")
        ]
