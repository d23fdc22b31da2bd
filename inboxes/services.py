"""Inbox services: creating a website inbox and registering its public key."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.limits import inbox_ensure_room
from inboxes.models import Inbox
from messenger.schema import current_schema
from tenants.companies.models import Company
from tenants.companies.services import widget_key_route_add


@transaction.atomic
def inbox_create(
    *, name: str, allowed_domains: list[str] | None = None, greeting: str = "", language: str = "ru"
) -> Inbox:
    """Create a website inbox with a fresh public key routed to the current company."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Enter the inbox name.")]})
    company = Company.objects.get(schema_name=current_schema())
    inbox_ensure_room(
        company=company, active_inboxes=Inbox.objects.filter(archived_at=None).count()
    )
    inbox = Inbox.objects.create(
        name=name,
        public_key="pk_" + secrets.token_urlsafe(18),
        allowed_domains=[d.strip().lower() for d in (allowed_domains or []) if d.strip()],
        greeting=greeting,
        language=language,
    )
    widget_key_route_add(company=company, public_key=inbox.public_key)
    return inbox


INBOX_TEXT_FIELDS = (
    "greeting",
    "offline_title_ru",
    "offline_message_ru",
    "offline_title_en",
    "offline_message_en",
)
INBOX_CHOICE_FIELDS = (
    "load_mode",
    "load_delay_seconds",
    "rating_scale",
    "attachment_max_mb",
    "attachment_kinds",
)


@transaction.atomic
def inbox_update(
    *,
    inbox: Inbox,
    name: str,
    allowed_domains: list[str],
    language: str,
    color: str,
    is_active: bool,
    **texts: Any,
) -> Inbox:
    """Change an inbox's settings; the allowlist must name at least one valid domain."""
    from inboxes.visitors.origins import allowed_domains_validate

    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the inbox name.")]
    try:
        domains = allowed_domains_validate(allowed_domains)
    except ValueError as exc:
        errors["allowed_domains"] = [_("Not a domain: %(entry)s") % {"entry": exc}]
        domains = []
    if not domains and "allowed_domains" not in errors:
        errors["allowed_domains"] = [_("Allow at least one website.")]
    if language not in ("ru", "en"):
        errors["language"] = [_("Choose English or Russian.")]
    if errors:
        raise ValidationError(errors)
    inbox.name, inbox.allowed_domains, inbox.language = name, domains, language
    inbox.color, inbox.is_active = color, is_active
    for field in INBOX_TEXT_FIELDS:
        if field in texts:
            setattr(inbox, field, (texts[field] or "").strip())
    for field in INBOX_CHOICE_FIELDS:  # already validated by the form's choices and ranges
        if field in texts:
            setattr(inbox, field, texts[field])
    inbox.save()
    return inbox


INBOX_POSITIONS = ("right", "left")


def inbox_appearance_apply_all(*, color: str, position: str) -> int:
    """Give every inbox of the company (archived ones too) one launcher colour and side of the
    page; returns how many inboxes changed."""
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", color or ""):
        errors["color"] = [_("Enter a colour like #3b5bfd.")]
    if position not in INBOX_POSITIONS:
        errors["position"] = [_("Choose left or right.")]
    if errors:
        raise ValidationError(errors)
    return Inbox.objects.exclude(color=color.lower(), position=position).update(
        color=color.lower(), position=position
    )


@transaction.atomic
def inbox_archive(*, inbox: Inbox) -> Inbox:
    """Take an inbox off the web and out of the panel's list; its chats stay readable."""
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    inbox.is_active = False
    inbox.archived_at = timezone.now()
    inbox.save(update_fields=["is_active", "archived_at"])
    return inbox


@transaction.atomic
def inbox_restore(*, inbox: Inbox) -> Inbox:
    """Bring an archived inbox back to the list, still disabled until an admin turns it on."""
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    inbox.archived_at = None
    inbox.save(update_fields=["archived_at"])
    return inbox
