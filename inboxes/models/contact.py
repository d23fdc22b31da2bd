"""A contact: a website visitor, anonymous until they give a name, email or phone."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Contact(models.Model):
    anonymous_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The site's own user id, set only by a verified (HMAC) identify.
    external_id = models.CharField(max_length=120, null=True, blank=True, unique=True)
    last_page_url = models.CharField(_("page"), max_length=2000, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    country_code = models.CharField(_("country"), max_length=2, blank=True)
    region_code = models.CharField(_("region"), max_length=8, blank=True)
    region_name = models.CharField(_("region"), max_length=120, blank=True)
    region_name_ru = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=now)
    last_seen_at = models.DateTimeField(default=now)
    # Visitor tokens issued before this moment are refused (the visitor's sessions were ended).
    sessions_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        return self.name or self.email or f"#{self.pk}"
