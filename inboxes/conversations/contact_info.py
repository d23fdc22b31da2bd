"""How a visitor can be reached: an email address or a phone number, checked and normalised.

Email addresses go through email-validator (internationalised addresses such as
`ёжик@пример.рф` are valid; no DNS lookups), phone numbers through phonenumbers and are stored
in E.164 (`+79123456789`); a number without a country code is read as a Russian one.
Errors are `ValidationError`s keyed by the form field, in the active language.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

DEFAULT_PHONE_REGION = "RU"
CONTACT_MAX_LENGTH = 120


@dataclass(frozen=True)
class ContactInfo:
    kind: str  # "email" or "phone"
    value: str  # normalised


def email_normalize(raw: str, *, field: str = "email") -> str:
    """The address in its normalised form (domain lower-cased, Unicode kept)."""
    try:
        return str(validate_email(raw.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValidationError({field: [_("Enter a valid email address.")]}) from None


def phone_normalize(raw: str, *, field: str = "phone") -> str:
    """The number in E.164; without a country code it is read as a Russian number."""
    try:
        number = phonenumbers.parse(raw.strip(), DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError({field: [_("Enter a valid phone number.")]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_info_parse(raw: str, *, field: str = "contact") -> ContactInfo:
    """One field holding an email address or a phone number (an "@" makes it an address)."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError({field: [_("Leave an email or a phone number.")]})
    if len(text) > CONTACT_MAX_LENGTH:
        raise ValidationError({field: [_("The contact is too long.")]})
    if "@" in text:
        return ContactInfo("email", email_normalize(text, field=field))
    return ContactInfo("phone", phone_normalize(text, field=field))
