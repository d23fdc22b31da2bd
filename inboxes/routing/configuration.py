"""Services behind the "Routing" settings: rules, business hours, timeouts, fallback order.
Every bad value is refused with a reason; nothing is half-saved."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from inboxes.models import (
    BusinessHoursException,
    BusinessHoursInterval,
    RoutingRule,
    RoutingSettings,
)
from inboxes.routing import policy
from tenants.organization.models import Branch

TIMEOUT_MIN_SECONDS = 30
TIMEOUT_MAX_SECONDS = 3600
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
REGION_RE = re.compile(r"^[A-Z0-9]{1,3}$")


def _active_branch(branch_id: object) -> Branch:
    branch = (
        Branch.objects.filter(pk=int(str(branch_id))).first() if str(branch_id).isdigit() else None
    )
    if branch is None:
        raise ValidationError({"branch": [_("This branch does not exist.")]})
    if not branch.is_active:
        raise ValidationError({"branch": [_("This branch is inactive.")]})
    return branch


@dataclass(frozen=True)
class RuleRow:
    rule: RoutingRule
    shadowed_codes: list[str]  # region rules below that this whole-country rule overrides


def routing_rule_rows() -> list[RuleRow]:
    """The rules in order, each whole-country rule with the region rules of its country that
    sit below it and so never match (the page warns about them)."""
    rules = list(RoutingRule.objects.select_related("branch"))
    shadowed = policy.region_rules_shadowed([_policy_rule(r) for r in rules])
    return [
        RuleRow(
            rule=rule,
            shadowed_codes=[f"{r.country_code}-{r.region_code}" for r in shadowed.get(index, [])],
        )
        for index, rule in enumerate(rules)
    ]


def _policy_rule(rule: RoutingRule) -> policy.Rule:
    return policy.Rule(rule.country_code, rule.region_code, rule.branch_id, rule.label)


@transaction.atomic
def routing_rule_create(
    *, country_code: str, region_code: str, branch_id: object, label: str = ""
) -> RoutingRule:
    """Add a rule at the end of the list. Region codes are ISO 3166-2 without the country
    (RU-SVE → country RU, region SVE); an empty region matches the whole country."""
    country = (country_code or "").strip().upper()
    region = (region_code or "").strip().upper()
    if region.startswith(country + "-"):
        region = region[len(country) + 1 :]
    errors: dict[str, list[str]] = {}
    if not COUNTRY_RE.match(country):
        errors["country_code"] = [_("Use a two-letter country code, e.g. RU.")]
    if region and not REGION_RE.match(region):
        errors["region_code"] = [_("Use the region's ISO code, e.g. SVE for Sverdlovsk Oblast.")]
    try:
        branch = _active_branch(branch_id)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if RoutingRule.objects.filter(country_code=country, region_code=region).exists():
        raise ValidationError({"region_code": [_("A rule for this region already exists.")]})
    last = RoutingRule.objects.aggregate(m=Max("position"))["m"]
    return RoutingRule.objects.create(
        country_code=country,
        region_code=region,
        branch=branch,
        label=(label or "").strip()[:120],
        position=(last or 0) + 1,
    )


@transaction.atomic
def routing_rule_move(*, rule: RoutingRule, up: bool) -> None:
    """Swap the rule with its neighbour above or below."""
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "pk"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rules):
        return
    rules[index], rules[other] = rules[other], rules[index]
    for position, item in enumerate(rules, start=1):
        if item.position != position:
            RoutingRule.objects.filter(pk=item.pk).update(position=position)


def routing_rule_delete(*, rule: RoutingRule) -> None:
    rule.delete()


@transaction.atomic
def routing_settings_update(
    *,
    escalation_timeout_seconds: object,
    out_of_hours: str,
    fallback_branch_ids: Sequence[object],
    out_of_hours_message_ru: str,
    out_of_hours_message_en: str,
) -> RoutingSettings:
    errors: dict[str, list[str]] = {}
    try:
        timeout = int(escalation_timeout_seconds)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        timeout = -1
    if not TIMEOUT_MIN_SECONDS <= timeout <= TIMEOUT_MAX_SECONDS:
        errors["escalation_timeout_seconds"] = [
            _("The timeout must be from %(min)d seconds to %(max)d minutes.")
            % {"min": TIMEOUT_MIN_SECONDS, "max": TIMEOUT_MAX_SECONDS // 60}
        ]
    if out_of_hours not in RoutingSettings.OutOfHours.values:
        errors["out_of_hours"] = [_("Choose what happens out of hours.")]
    ids: list[int] = []
    for raw in fallback_branch_ids:
        try:
            ids.append(_active_branch(raw).pk)
        except ValidationError:
            errors["fallback_branch_ids"] = [
                _("The fallback order names a missing or inactive branch.")
            ]
    if len(set(ids)) != len(ids):
        errors["fallback_branch_ids"] = [_("A branch appears twice in the fallback order.")]
    for field, text in (
        ("out_of_hours_message_ru", out_of_hours_message_ru),
        ("out_of_hours_message_en", out_of_hours_message_en),
    ):
        if len(text or "") > 500:
            errors[field] = [_("The message is too long.")]
    if errors:
        raise ValidationError(errors)
    config = RoutingSettings.current()
    config.escalation_timeout_seconds = timeout
    config.out_of_hours = out_of_hours
    config.fallback_branch_ids = ids
    config.out_of_hours_message_ru = (out_of_hours_message_ru or "").strip()
    config.out_of_hours_message_en = (out_of_hours_message_en or "").strip()
    config.save()
    return config


@transaction.atomic
def business_hours_replace(*, branch: Branch, intervals: Sequence[tuple[int, time, time]]) -> None:
    """Replace the branch's weekly schedule. No intervals means open round the clock."""
    items = [policy.Interval(day, opens, closes) for day, opens, closes in intervals]
    problems = policy.intervals_validate(items)
    if "weekday" in problems:
        raise ValidationError({"hours": [_("A day of the week is out of range.")]})
    if "empty" in problems:
        raise ValidationError({"hours": [_("An interval opens and closes at the same time.")]})
    if "overlap" in problems:
        raise ValidationError({"hours": [_("Two intervals overlap.")]})
    BusinessHoursInterval.objects.filter(branch=branch).delete()
    BusinessHoursInterval.objects.bulk_create(
        BusinessHoursInterval(branch=branch, weekday=i.weekday, opens=i.opens, closes=i.closes)
        for i in items
    )


def business_hours_exception_set(
    *,
    branch: Branch,
    day: date,
    closed: bool,
    opens: time | None = None,
    closes: time | None = None,
    note: str = "",
) -> BusinessHoursException:
    """A holiday (closed) or special hours on one date."""
    if not closed and (opens is None or closes is None or opens == closes):
        raise ValidationError({"hours": [_("Give opening and closing times for special hours.")]})
    exception, _created = BusinessHoursException.objects.update_or_create(
        branch=branch,
        date=day,
        defaults={
            "closed": closed,
            "opens": None if closed else opens,
            "closes": None if closed else closes,
            "note": (note or "").strip()[:120],
        },
    )
    return exception
