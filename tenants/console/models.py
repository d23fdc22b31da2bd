"""The console's records: the audit of every action platform staff take (who, what, when, from
where), staff roles, and staff visits to a company's panel."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


class StaffProfile(models.Model):
    """A platform staff member's role in the console (tenants/console/roles.py)."""

    class Role(models.TextChoices):
        SUPPORT = "support", _("Support")
        BILLING = "billing", _("Billing")
        OWNER = "owner", _("Owner")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)


class StaffAccess(models.Model):
    """A staff member's time-limited visit to a company's panel as one of its admins
    (tenants/console/impersonation.py). Public schema; each company's admins read its rows."""

    class End(models.TextChoices):
        ENDED = "ended", _("Ended by staff")
        EXPIRED = "expired", _("Expired")

    company = models.ForeignKey("companies.Company", on_delete=models.CASCADE, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_email = models.EmailField()
    staff_name = models.CharField(max_length=120, blank=True)
    admin_user_id = models.PositiveIntegerField()  # the admin in the company's own schema
    admin_email = models.EmailField()
    reason = models.CharField(max_length=300)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    handoff_used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=End.choices, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def is_open(self, now: datetime | None = None) -> bool:
        return self.ended_at is None and (now or timezone.now()) < self.expires_at


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
