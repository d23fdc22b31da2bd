"""A conversation between a contact and the company, and each operator's read position in it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        CLOSED = "closed", _("Closed")

    inbox = models.ForeignKey(
        "inboxes.Inbox", on_delete=models.PROTECT, related_name="conversations"
    )
    contact = models.ForeignKey(
        "inboxes.Contact", on_delete=models.CASCADE, related_name="conversations"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    branch = models.ForeignKey(
        "organization.Branch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    # Where the visitor is, and why the chat landed in its branch ("GeoIP: … → …").
    country_code = models.CharField(max_length=2, blank=True)
    region_code = models.CharField(max_length=8, blank=True)
    region_name = models.CharField(max_length=120, blank=True)
    routing_reason = models.CharField(max_length=300, blank=True)
    # An offline request left through the widget's form (roadmap item 12).
    is_request = models.BooleanField(default=False)
    # Waiting for an operator since (status pending, oldest first); None once assigned.
    queued_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # When the current assignee first opened it: the escalation timer stops for good.
    opened_at = models.DateTimeField(null=True, blank=True)
    # The sequence number of the last message; the next message takes last_seq + 1 under the
    # row lock that the UPDATE … RETURNING takes, so numbers are gap-free and ordered.
    last_seq = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_message_preview = models.CharField(max_length=140, blank=True)
    # How far each side has received / read the other side's messages (ticks).
    visitor_delivered_seq = models.PositiveIntegerField(default=0)
    visitor_read_seq = models.PositiveIntegerField(default=0)
    operator_delivered_seq = models.PositiveIntegerField(default=0)
    operator_read_seq = models.PositiveIntegerField(default=0)
    # The visitor's rating after close (roadmap item 13): once per conversation.
    rating_scale = models.CharField(max_length=6, blank=True)
    rating_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.CharField(max_length=1000, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("conversation")
        indexes = [
            models.Index(fields=["status", "-last_message_at"], name="conv_status_recent"),
            models.Index(
                fields=["assignee", "status", "-last_message_at"], name="conv_assignee_recent"
            ),
            models.Index(fields=["contact", "-created_at"], name="conv_contact_recent"),
            models.Index(
                fields=["branch", "queued_at"],
                name="conv_branch_queue",
                condition=models.Q(queued_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ConversationReadMark(models.Model):
    """The last sequence number an operator has read in a conversation (unread counters)."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_marks"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks"
    )
    last_read_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_read_mark")
        ]
