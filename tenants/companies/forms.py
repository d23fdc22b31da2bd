"""Forms of the company: signup (the boundary that turns a POST into the arguments of
`company_signup`), the company settings page and the "find my company" login page."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
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


class CompanySettingsForm(forms.Form):
    """The company page's first form: name, language, time zone and logo."""

    name = forms.CharField(label=_("Company name"), max_length=120)
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=settings.LANGUAGES,
        help_text=_("Of new inboxes, emails to your team and pages of people without one set."),
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP, up to 1 MB. Shown in the panel and the chat widget."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )
    logo_remove = forms.BooleanField(label=_("Remove the logo"), required=False)


class LoginFindForm(forms.Form):
    """The "I already have an account" form: the company's address or the person's email."""

    address = forms.CharField(
        label=_("Your company's address or your email"),
        max_length=254,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set per request: a translated string formatted at import would keep one language.
        self.fields["address"].help_text = gettext(
            "For example: mycompany.%(host)s, or you@mycompany.com"
        ) % {"host": settings.BASE_HOST}
