"""Routing configuration and history: region rules, business hours, company routing settings,
and every assignment change of a conversation (who, why)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

DEFAULT_ESCALATION_SECONDS = 240  # roadmap item 3: four minutes


class RoutingRule(models.Model):
    """ "Region or country → responsible branch", tried in `position` order (roadmap item 1)."""

    position = models.PositiveIntegerField(default=0)
    country_code = models.CharField(_("country"), max_length=2)  # ISO 3166-1, e.g. RU
    region_code = models.CharField(_("region"), max_length=8, blank=True)  # ISO 3166-2, e.g. SVE
    label = models.CharField(_("label"), max_length=120, blank=True)
    branch = models.ForeignKey(
        "organization.Branch", on_delete=models.CASCADE, related_name="routing_rules"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["position", "pk"]


class RoutingSettings(models.Model):
    """One row per company: what happens out of hours and when a chat is not opened."""

    class OutOfHours(models.TextChoices):
        WAIT = "wait", _("Keep the chat waiting and show the auto message")
        FALLBACK = "fallback", _("Hand it to the next open branch")

    escalation_timeout_seconds = models.PositiveIntegerField(default=DEFAULT_ESCALATION_SECONDS)
    out_of_hours = models.CharField(
        max_length=10, choices=OutOfHours.choices, default=OutOfHours.WAIT
    )
    fallback_branch_ids = ArrayField(models.PositiveIntegerField(), default=list, blank=True)
    out_of_hours_message_ru = models.CharField(
        max_length=500, blank=True, default="Мы ответим в рабочее время."
    )
    out_of_hours_message_en = models.CharField(
        max_length=500, blank=True, default="We will answer during business hours."
    )

    @classmethod
    def current(cls) -> RoutingSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls.objects.create()


class BusinessHoursInterval(models.Model):
    """Open from `opens` to `closes` on `weekday` (0 = Monday) in the branch's time zone.
    `closes` <= `opens` means the interval runs past midnight into the next day."""

    branch = models.ForeignKey(
        "organization.Branch", on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]


class BusinessHoursException(models.Model):
    """A holiday (closed all day) or special hours on one date, replacing the weekday's."""

    branch = models.ForeignKey(
        "organization.Branch", on_delete=models.CASCADE, related_name="hours_exceptions"
    )
    date = models.DateField()
    closed = models.BooleanField(default=True)
    opens = models.TimeField(null=True, blank=True)
    closes = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "date"], name="one_exception_per_branch_date")
        ]


class ConversationAssignment(models.Model):
    """A change of who handles a conversation, and why. The latest row is the current one."""

    class Reason(models.TextChoices):
        ROUTING = "routing", _("routing")
        ESCALATION = "escalation", _("escalation")
        TRANSFER = "transfer", _("transfer")
        MANUAL = "manual", _("manual")
        QUEUE = "queue", _("queue")

    # Notes the system writes are stored as their English message ids and translated when
    # shown, so each operator reads them in their own language whoever's request wrote them.
    NOTE_FROM_QUEUE = gettext_noop("from the queue")
    NOTE_NOT_OPENED = gettext_noop("not opened in time")
    NOTE_NOT_OPENED_NOBODY_FREE = gettext_noop("not opened in time; nobody else is free")
    SYSTEM_NOTES = frozenset({NOTE_FROM_QUEUE, NOTE_NOT_OPENED, NOTE_NOT_OPENED_NOBODY_FREE})

    conversation = models.ForeignKey(
        "inboxes.Conversation", on_delete=models.CASCADE, related_name="assignments"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    branch = models.ForeignKey(
        "organization.Branch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=12, choices=Reason.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def note_display(self) -> str:
        """The note in the active language when the system wrote it; a person's note as is."""
        return gettext(self.note) if self.note in self.SYSTEM_NOTES else self.note
