"""The visitor as a contact: created when a session starts, seen again, their own details,
and where they are (GeoIP, detected when the session starts)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations.contact_info import email_normalize, phone_normalize
from inboxes.models import Contact
from messenger.geo import GeoLocation


def _geo_fields(ip: str | None, geo: GeoLocation | None) -> dict[str, object]:
    return {
        "ip_address": ip or None,
        "country_code": geo.country_code if geo else "",
        "region_code": geo.region_code if geo else "",
        "region_name": geo.region_name if geo else "",
        "region_name_ru": geo.region_name_ru if geo else "",
    }


def contact_create(
    *,
    page_url: str = "",
    user_agent: str = "",
    ip: str | None = None,
    geo: GeoLocation | None = None,
) -> Contact:
    """A new visitor, with where they are (detected when the session starts)."""
    return Contact.objects.create(
        last_page_url=page_url[:2000], user_agent=user_agent[:400], **_geo_fields(ip, geo)
    )


def contact_seen(
    *, contact: Contact, page_url: str = "", ip: str | None = None, geo: GeoLocation | None = None
) -> Contact:
    fields: dict[str, object] = {"last_seen_at": timezone.now()}
    if page_url:
        fields["last_page_url"] = page_url[:2000]
    if ip and ip != contact.ip_address:
        fields.update(_geo_fields(ip, geo))
    Contact.objects.filter(pk=contact.pk).update(**fields)
    for name, value in fields.items():
        setattr(contact, name, value)
    return contact


def contact_update(
    *, contact: Contact, name: str | None = None, email: str | None = None, phone: str | None = None
) -> Contact:
    """The visitor's own details; the address and number checked and normalised (see
    contact_info), all stored as text (shown as text everywhere, never HTML)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str | None] = {"name": name, "email": email, "phone": phone}
    if name is not None and len(name.strip()) > 120:
        errors["name"] = [_("The name is too long.")]
    for field, normalize in (("email", email_normalize), ("phone", phone_normalize)):
        value = (values[field] or "").strip()
        if not value:
            continue
        try:
            values[field] = normalize(value, field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    for field, given in values.items():
        if given is not None:
            setattr(contact, field, given.strip())
    contact.save(update_fields=["name", "email", "phone"])
    return contact


def contact_geo(contact: Contact) -> GeoLocation | None:
    if not contact.country_code:
        return None
    return GeoLocation(
        contact.country_code, "", contact.region_code, contact.region_name, contact.region_name_ru
    )
