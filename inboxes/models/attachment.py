"""A file sent in a conversation; its type is what its content is, not what its name says."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.timezone import now

from messenger.schema import current_schema


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name on disk: the original name is only ever shown, never used as a path.

    return f"attachments/{current_schema()}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    conversation = models.ForeignKey(
        "inboxes.Conversation", on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        "inboxes.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    uploaded_by = models.CharField(max_length=10)  # visitor / operator
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(max_length=200)  # sanitised original name, for display
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    # A raster image whose pixels decoded: the only kind shown inline.
    is_image = models.BooleanField(default=False)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
