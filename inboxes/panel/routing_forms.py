"""Forms of the "Routing" settings: rules, company routing settings, branch hours, inboxes."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from inboxes.models import Inbox, RoutingSettings
from tenants.organization.models import Branch

WEEKDAYS = [
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
]
SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


def _branch_choices() -> list[tuple[str, str]]:
    return [(str(b.pk), b.name) for b in Branch.objects.filter(is_active=True).order_by("name")]


class RuleForm(forms.Form):
    country_code = forms.CharField(
        label=_("Country code"), max_length=2, help_text=_("ISO code, e.g. RU")
    )
    region_code = forms.CharField(
        label=_("Region code"),
        max_length=8,
        required=False,
        help_text=_("ISO 3166-2, e.g. SVE or RU-SVE; empty: the whole country"),
    )
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    branch = forms.ChoiceField(label=_("Branch"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        cast(forms.ChoiceField, self.fields["branch"]).choices = _branch_choices()


class RoutingSettingsForm(forms.Form):
    escalation_minutes = forms.DecimalField(
        label=_("Pass an unopened chat on after (minutes)"),
        min_value=0,
        max_digits=5,
        decimal_places=1,
    )
    out_of_hours = forms.ChoiceField(
        label=_("Out of hours"),
        choices=RoutingSettings.OutOfHours.choices,
        widget=forms.RadioSelect,
    )
    fallback_1 = forms.ChoiceField(label=_("Fallback branch 1"), required=False)
    fallback_2 = forms.ChoiceField(label=_("Fallback branch 2"), required=False)
    fallback_3 = forms.ChoiceField(label=_("Fallback branch 3"), required=False)
    out_of_hours_message_ru = forms.CharField(
        label=_("Auto message (Russian)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    out_of_hours_message_en = forms.CharField(
        label=_("Auto message (English)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [("", "—"), *_branch_choices()]
        for name in ("fallback_1", "fallback_2", "fallback_3"):
            cast(forms.ChoiceField, self.fields[name]).choices = choices


def parse_spans(text: str) -> list[tuple[time, time]]:
    """ "09:00-13:00, 14:00-18:00" → [(09:00, 13:00), (14:00, 18:00)]; ValueError on junk."""
    spans = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        match = SPAN_RE.match(part)
        if not match:
            raise ValueError(part)
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 == 24 and m1 == 0:
            h1 = 0
        if h2 == 24 and m2 == 0:
            h2 = 0
        spans.append((time(h1, m1), time(h2, m2)))
    return spans


class WeekHoursForm(forms.Form):
    """One text field per weekday: "09:00-18:00", several with commas, "22:00-02:00" overnight,
    empty = closed. All empty = open round the clock."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        shown = [self._shown_value(f"day_{day}") for day in range(7)]
        round_the_clock = not any(shown)
        for day, name in enumerate(WEEKDAYS):
            attrs: dict[str, Any] = {"placeholder": "09:00-18:00"}
            if not shown[day]:
                # An empty day must read as what it means, not as greyed-out sample hours.
                attrs = (
                    {
                        "placeholder": pgettext_lazy("business hours", "Open round the clock"),
                        "class": "hours-day-24h",
                    }
                    if round_the_clock
                    else {
                        "placeholder": pgettext_lazy("business hours", "Closed"),
                        "class": "hours-day-closed",
                    }
                )
            self.fields[f"day_{day}"] = forms.CharField(
                label=name,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs=attrs),
            )

    def _shown_value(self, name: str) -> str:
        """What the field of this day shows: the posted text, else the saved hours."""
        if self.is_bound:
            return str(self.data.get(self.add_prefix(name), "")).strip()
        return str(self.initial.get(name, "")).strip()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        intervals = []
        for day, name in enumerate(WEEKDAYS):
            try:
                spans = parse_spans(str(data.get(f"day_{day}", "")))
            except ValueError as exc:
                self.add_error(
                    f"day_{day}", _("Write hours as 09:00-18:00 (%(bad)s).") % {"bad": exc}
                )
                continue
            except Exception:  # an hour like 25:00
                self.add_error(f"day_{day}", _("%(day)s: not a time of day.") % {"day": name})
                continue
            intervals += [(day, opens, closes) for opens, closes in spans]
        data["intervals"] = intervals
        return data


class HoursExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        max_length=20,
        help_text=_("Empty: closed all day (a holiday)"),
        widget=forms.TextInput(attrs={"placeholder": "10:00-14:00"}),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=120)

    def clean_hours(self) -> tuple[time, time] | None:
        text = self.cleaned_data.get("hours", "")
        if not text.strip():
            return None
        try:
            spans = parse_spans(text)
        except Exception as exc:
            raise forms.ValidationError(_("Write hours as 10:00-14:00.")) from exc
        if len(spans) != 1:
            raise forms.ValidationError(_("One interval for a special day."))
        return spans[0]


class InboxForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    allowed_domains = forms.CharField(
        label=_("Allowed websites"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One domain per line; *.example.com allows its subdomains."),
    )
    greeting = forms.CharField(label=_("Greeting"), max_length=300, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("ru", "Русский"), ("en", "English")]
    )
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    offline_title_ru = forms.CharField(
        label=_("Offline title (Russian)"), max_length=120, required=False
    )
    offline_message_ru = forms.CharField(
        label=_("Offline text (Russian)"), max_length=500, required=False
    )
    offline_title_en = forms.CharField(
        label=_("Offline title (English)"), max_length=120, required=False
    )
    offline_message_en = forms.CharField(
        label=_("Offline text (English)"), max_length=500, required=False
    )
    load_mode = forms.ChoiceField(label=_("Load the chat"), choices=Inbox.LoadMode.choices)
    load_delay_seconds = forms.IntegerField(label=_("N seconds"), min_value=1, max_value=600)
    rating_scale = forms.ChoiceField(
        label=_("Rating after close"), choices=Inbox.RatingScale.choices
    )
    attachment_max_mb = forms.IntegerField(
        label=_("Largest file (MB)"), min_value=1, max_value=settings.ATTACHMENT_MAX_MB
    )
    attachment_kinds = forms.MultipleChoiceField(
        label=_("Files visitors may send"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("image", _("Images")),
            ("pdf", "PDF"),
            ("office", _("Office documents")),
            ("text", _("Text files")),
            ("archive", _("Archives")),
        ],
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)


class WidgetAppearanceForm(forms.Form):
    """One launcher colour and side of the page for every inbox (the Inboxes page)."""

    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    position = forms.ChoiceField(
        label=_("Position"),
        choices=[("right", _("Bottom right")), ("left", _("Bottom left"))],
    )
