"""A message in a conversation, ordered by its sequence number, unique per sender client id."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now

BODY_MAX_LENGTH = 10_000


class Message(models.Model):
    class Sender(models.TextChoices):
        VISITOR = "visitor"
        OPERATOR = "operator"
        SYSTEM = "system"

    conversation = models.ForeignKey(
        "inboxes.Conversation", on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    sender_type = models.CharField(max_length=10, choices=Sender.choices)
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    body_html = models.TextField(blank=True)  # sanitised Markdown, rendered once when stored
    client_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"], name="message_client_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"
