"""Getting a website inbox onto a site: the first inbox of a new company, the install check,
the snippet, instructions emailed to the company's developer, and the identity secret.

The install check: the loader on the customer's page asks for its inbox's config with the
page's Origin; the first time that origin is allowed, the inbox records when and where
(`installed_at`, `installed_origin`), and the install page turns green. One conditional UPDATE
until then, nothing after.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inboxes.models import Inbox
from inboxes.models.inbox import _new_secret
from inboxes.services import inbox_create
from inboxes.visitors.origins import allowed_domains_validate
from messenger.schema import current_schema
from messenger.tenancy import base_url
from tenants.companies.models import Company

log = logging.getLogger(__name__)


def website_domain(website: str) -> str:
    """The domain of a website typed at signup ("https://shop.ru/about" → "shop.ru")."""
    website = (website or "").strip().lower()
    if not website:
        return ""
    if "://" not in website:
        website = "https://" + website
    return (urlsplit(website).hostname or "").removeprefix("www.")


def website_domains(website: str) -> list[str]:
    """The allowlist for a website: its domain and its subdomains; ValueError when it is no
    website address."""
    domain = website_domain(website)
    if not domain:
        raise ValueError(website)
    return allowed_domains_validate([domain, f"*.{domain}"])


def website_inbox_create(*, name: str, website: str, language: str) -> Inbox:
    """A website inbox that allows `website` (an admin's "New inbox")."""
    try:
        domains = website_domains(website)
    except ValueError as exc:
        raise ValidationError(
            {"website": [_("Enter a website address, e.g. shop.example.com.")]}
        ) from exc
    return inbox_create(name=name, allowed_domains=domains, language=language)


def first_inbox_create(*, company: Company, website: str = "") -> Inbox:
    """A new company's website inbox, named after it, allowing its site (and its www.) when
    given. Runs in the company's schema, inside the signup's transaction."""
    try:
        domains = website_domains(website) if (website or "").strip() else []
    except ValueError as exc:
        raise ValidationError(
            {"website": [_("Not a website address: %(entry)s") % {"entry": website.strip()}]}
        ) from exc
    with translation.override(company.language):
        greeting = _("Hello! How can we help?")
    return inbox_create(
        name=company.name, allowed_domains=domains, greeting=greeting, language=company.language
    )


def widget_cdn_url() -> str:
    """Where sites load the widget's files: the CDN when configured, else this app's /cdn."""
    return settings.WIDGET_CDN_URL or base_url("/cdn").rstrip("/")


def embed_snippet(inbox: Inbox) -> str:
    """The copy-paste code for the site: a tiny async loader from the CDN, nothing else up
    front; `data-messenger-host` names the Messenger host it talks to."""
    host = base_url("").rstrip("/")
    return (
        f'<script async src="{widget_cdn_url()}/loader.js" '
        f'data-messenger-key="{inbox.public_key}" data-messenger-host="{host}"></script>'
    )


def install_seen(*, inbox: Inbox, origin: str) -> None:
    """Record the first allowed site the widget's config was fetched from (the install check)."""
    if inbox.installed_at is not None or not origin or origin == "null":
        return
    now = timezone.now()
    updated = Inbox.objects.filter(pk=inbox.pk, installed_at__isnull=True).update(
        installed_at=now, installed_origin=origin[:300]
    )
    if updated:
        inbox.installed_at, inbox.installed_origin = now, origin[:300]
        log.info("widget installed", extra={"inbox_id": inbox.pk, "origin": origin[:300]})


def install_status(inbox: Inbox) -> dict[str, Any]:
    """What the install page shows: whether, where and when the widget was first seen."""
    return {
        "installed": inbox.installed_at is not None,
        "origin": inbox.installed_origin,
        "at": inbox.installed_at.isoformat() if inbox.installed_at else None,
    }


@transaction.atomic
def identity_secret_rotate(*, inbox: Inbox) -> Inbox:
    """A new identity-verification secret: hashes signed with the old one stop verifying."""
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk)
    inbox.identity_secret = _new_secret()
    inbox.save(update_fields=["identity_secret"])
    return inbox


def install_instructions_email(*, inbox_id: int, email: str, sender_name: str) -> bool:
    """Email the snippet and the JavaScript API to the company's developer, in the company's
    language; False when the inbox is gone."""
    inbox = Inbox.objects.filter(pk=inbox_id).first()
    if inbox is None:
        return False
    company = Company.objects.get(schema_name=current_schema())
    with translation.override(company.language):
        subject = _("How to put the %(company)s chat on your website") % {"company": company.name}
        body = render_to_string(
            "inboxes/email/install_instructions.txt",
            {
                "company": company,
                "inbox": inbox,
                "snippet": embed_snippet(inbox),
                "sender_name": sender_name,
            },
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return True
