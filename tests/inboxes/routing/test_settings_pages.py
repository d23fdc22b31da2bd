"""The "Routing" settings pages: rules, timeouts, hours, inbox settings, capacity."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from inboxes.models import BusinessHoursInterval, Inbox, RoutingRule, RoutingSettings
from inboxes.services import inbox_create
from tenants.accounts.models import User
from tenants.organization.models import Branch

pytestmark = pytest.mark.django_db


def test_admin_adds_a_rule_and_sets_the_timeout(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    assert client.get("/settings/routing/").status_code == 200
    client.post(
        "/settings/routing/",
        {
            "form": "rule",
            "rule-country_code": "ru",
            "rule-region_code": "RU-MUR",
            "rule-branch": north.pk,
        },
    )
    response = client.post(
        "/settings/routing/",
        {
            "form": "settings",
            "cfg-escalation_minutes": "2.5",
            "cfg-out_of_hours": "fallback",
            "cfg-fallback_1": north.pk,
            "cfg-out_of_hours_message_ru": "Ответим утром",
            "cfg-out_of_hours_message_en": "We answer in the morning",
        },
    )
    assert response.status_code == 302
    with schema_context("co_acme"):
        rule = RoutingRule.objects.get()
        assert (rule.country_code, rule.region_code, rule.branch) == ("RU", "MUR", north)
        config = RoutingSettings.current()
        assert config.escalation_timeout_seconds == 150
        assert config.fallback_branch_ids == [north.pk]
    page = client.get("/settings/routing/").content.decode()
    assert "RU-MUR" in page


def test_a_zero_timeout_is_shown_as_an_error_and_nothing_changes(acme):
    response = acme.login().post(
        "/settings/routing/",
        {"form": "settings", "cfg-escalation_minutes": "0", "cfg-out_of_hours": "wait"},
    )
    assert "The timeout must be from 30 seconds to 60 minutes." in response.content.decode()
    with schema_context("co_acme"):
        assert RoutingSettings.current().escalation_timeout_seconds == 240


def test_weekly_hours_with_an_overnight_interval_are_saved_and_shown(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    data = {f"week-day_{d}": "09:00-13:00, 14:00-18:00" for d in range(5)}
    data["week-day_4"] = "09:00-18:00, 22:00-02:00"
    response = client.post(f"/settings/branches/{north.pk}/hours/", {"form": "week", **data})
    assert response.status_code == 302
    with schema_context("co_acme"):
        assert BusinessHoursInterval.objects.filter(branch=north).count() == 10
    page = client.get(f"/settings/branches/{north.pk}/hours/").content.decode()
    assert "22:00-02:00" in page


def _day_input(page: str, day: int) -> str:
    found = re.search(rf'<input[^>]*name="week-day_{day}"[^>]*>', page)
    assert found, day
    return found.group(0)


def test_an_empty_day_in_the_hours_editor_reads_as_closed_not_as_sample_hours(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    path = f"/settings/branches/{north.pk}/hours/"
    week = {f"week-day_{d}": "09:00-18:00" for d in range(5)}
    assert client.post(path, {"form": "week", **week}).status_code == 302
    page = client.get(path).content.decode()
    saturday = _day_input(page, 5)
    assert 'placeholder="Closed"' in saturday and "hours-day-closed" in saturday
    assert "09:00" not in saturday
    assert 'value="09:00-18:00"' in _day_input(page, 0)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert 'placeholder="Закрыто"' in _day_input(client.get(path).content.decode(), 6)
    # no hours at all: open round the clock, and every day says so
    assert client.post(path, {"form": "week"}).status_code == 302
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    monday = _day_input(client.get(path).content.decode(), 0)
    assert 'placeholder="Open round the clock"' in monday and "hours-day-24h" in monday


def test_bad_or_overlapping_hours_are_refused_with_the_reason(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    junk = client.post(
        f"/settings/branches/{north.pk}/hours/", {"form": "week", "week-day_0": "nine to five"}
    )
    assert "Write hours as 09:00-18:00" in junk.content.decode()
    overlap = client.post(
        f"/settings/branches/{north.pk}/hours/",
        {"form": "week", "week-day_0": "09:00-13:00, 12:00-18:00"},
    )
    assert "Two intervals overlap." in overlap.content.decode()
    with schema_context("co_acme"):
        assert not BusinessHoursInterval.objects.filter(branch=north).exists()


def test_a_holiday_is_added_to_a_branch(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    client.post(
        f"/settings/branches/{north.pk}/hours/",
        {"form": "exception", "exc-date": "2027-01-01", "exc-hours": "", "exc-note": "New Year"},
    )
    with schema_context("co_acme"):
        holiday = north.hours_exceptions.get()
        assert holiday.closed and holiday.note == "New Year"


def test_inbox_settings_validate_the_allowlist(acme):
    with schema_context("co_acme"):
        inbox = inbox_create(name="Site", allowed_domains=["shop.example.com"])
    client = acme.login()
    base = {
        "name": "Shop",
        "language": "ru",
        "color": "#112233",
        "is_active": "on",
        "offline_title_ru": "Нет никого",
        "offline_message_ru": "Оставьте заявку",
        "load_mode": "delay",
        "load_delay_seconds": "7",
        "rating_scale": "nps",
        "attachment_max_mb": "5",
        "attachment_kinds": ["image", "pdf"],
    }
    bad = client.post(
        f"/settings/inboxes/{inbox.pk}/",
        {**base, "allowed_domains": "https://ok.example.com\nnot a domain!"},
    )
    assert "Not a domain: not a domain!" in bad.content.decode()
    ok = client.post(
        f"/settings/inboxes/{inbox.pk}/",
        {**base, "allowed_domains": "https://shop.example.com/\n*.example.org"},
    )
    assert ok.status_code == 302
    with schema_context("co_acme"):
        inbox = Inbox.objects.get(pk=inbox.pk)
        assert inbox.allowed_domains == ["shop.example.com", "*.example.org"]
        assert inbox.offline_title_ru == "Нет никого"
        assert (inbox.load_mode, inbox.load_delay_seconds, inbox.rating_scale) == (
            "delay",
            7,
            "nps",
        )
        assert inbox.attachment_kinds == ["image", "pdf"]
    page = client.get(f"/settings/inboxes/{inbox.pk}/").content.decode()
    assert f"data-messenger-key=&quot;{inbox.public_key}&quot;" in page


def test_capacity_is_set_on_the_team_page(acme):
    client = acme.login()
    with schema_context("co_acme"):
        olga = User.objects.get(email="op@example.com")
    client.post(
        f"/settings/team/{olga.pk}/", {"full_name": "Olga", "role": "operator", "capacity": "3"}
    )
    with schema_context("co_acme"):
        assert User.objects.get(pk=olga.pk).capacity == 3


def test_a_country_rule_above_region_rules_of_that_country_shows_a_warning(acme):
    client = acme.login()
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")
    for country, region in [("RU", ""), ("RU", "SVE"), ("KZ", "ALA")]:
        client.post(
            "/settings/routing/",
            {
                "form": "rule",
                "rule-country_code": country,
                "rule-region_code": region,
                "rule-branch": north.pk,
            },
        )
    page = client.get("/settings/routing/").content.decode()
    assert page.count('class="rule-warning"') == 1
    assert (
        "This rule catches every chat from RU before the region rules below it (RU-SVE), "
        "so they never apply: move it below them."
    ) in page
    with schema_context("co_acme"):
        country_rule = RoutingRule.objects.get(country_code="RU", region_code="")
    client.post(f"/settings/routing/rules/{country_rule.pk}/", {"action": "down"})
    client.post(f"/settings/routing/rules/{country_rule.pk}/", {"action": "down"})
    assert 'class="rule-warning"' not in client.get("/settings/routing/").content.decode()
