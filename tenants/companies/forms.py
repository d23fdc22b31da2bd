"""The signup form: the boundary that turns a POST into the arguments of `company_signup`."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

COMMON_TIMEZONES = [
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
]


def timezone_choices() -> list[tuple[str, str]]:
    rest = sorted(zoneinfo.available_timezones() - set(COMMON_TIMEZONES))
    return [(tz, tz) for tz in COMMON_TIMEZONES + rest]


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Company name"), max_length=120)
    slug = forms.CharField(
        label=_("Subdomain"),
        max_length=63,
        help_text=_("Your panel's address: <subdomain>.%(host)s") % {"host": settings.BASE_HOST},
    )
    admin_name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Work email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    website = forms.CharField(
        label=_("Your website"),
        max_length=253,
        required=False,
        help_text=_("Optional: the chat will be allowed on it (you can add more later)."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
