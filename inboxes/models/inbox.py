"""An inbox: a website channel that a widget with the inbox's public key writes into."""

from __future__ import annotations

import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _default_attachment_kinds() -> list[str]:
    return ["image", "pdf", "office", "text"]


def _new_secret() -> str:
    return secrets.token_hex(32)


class Inbox(models.Model):
    name = models.CharField(_("name"), max_length=120)
    public_key = models.CharField(max_length=64, unique=True)
    allowed_domains = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    greeting = models.CharField(_("greeting"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    color = models.CharField(_("colour"), max_length=7, default="#3b5bfd")
    position = models.CharField(_("position"), max_length=8, default="right")

    # Lazy loading (roadmap item 14): load the chat on interaction, after a scroll or N seconds.
    class LoadMode(models.TextChoices):
        INTERACTION = "interaction", _("On the first click")
        SCROLL = "scroll", _("After a scroll")
        DELAY = "delay", _("After N seconds")

    class RatingScale(models.TextChoices):
        STARS = "stars", _("1–5 stars")
        NPS = "nps", _("NPS 0–10")

    load_mode = models.CharField(
        max_length=12, choices=LoadMode.choices, default=LoadMode.INTERACTION
    )
    load_delay_seconds = models.PositiveSmallIntegerField(default=10)
    rating_scale = models.CharField(
        max_length=6, choices=RatingScale.choices, default=RatingScale.STARS
    )
    attachment_max_mb = models.PositiveSmallIntegerField(default=10)
    attachment_kinds = ArrayField(
        models.CharField(max_length=12), default=_default_attachment_kinds, blank=True
    )
    # Verified identity: the site signs its user id with this secret (HMAC-SHA256).
    identity_secret = models.CharField(max_length=64, default=_new_secret)
    # Offline mode (roadmap item 12): shown with a request form when nobody can chat.
    offline_title_ru = models.CharField(
        max_length=120, blank=True, default="Сейчас никого нет на месте"
    )
    offline_title_en = models.CharField(
        max_length=120, blank=True, default="Nobody is here right now"
    )
    offline_message_ru = models.CharField(
        max_length=500, blank=True, default="Оставьте заявку — мы свяжемся с вами."
    )
    offline_message_en = models.CharField(
        max_length=500, blank=True, default="Leave a request and we will get back to you."
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Archived: gone from the panel's list and from the web (like inactive), kept with its chats.
    archived_at = models.DateTimeField(null=True, blank=True)
    # Install check: the first time, and the site, a page fetched this inbox's widget config
    # from an allowed origin (the snippet works there).
    installed_at = models.DateTimeField(null=True, blank=True)
    installed_origin = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
