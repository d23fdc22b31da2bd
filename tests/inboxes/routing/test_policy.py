"""The pure routing policy: region rules, business hours, picking the operator."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time

import pytest

from inboxes.routing import policy
from inboxes.routing.policy import (
    Candidate,
    DateException,
    Interval,
    Rule,
    branch_for_region,
    intervals_validate,
    is_open,
    pick_operator,
)

RULES = [Rule("RU", "SVE", 2), Rule("RU", "", 1), Rule("KZ", "", 3)]


@pytest.mark.parametrize(
    ("country", "region", "expected", "by_rule"),
    [
        ("RU", "SVE", 2, True),  # Sverdlovsk Oblast → Yekaterinburg
        ("ru", "sve", 2, True),
        ("RU", "MOW", 1, True),  # the whole-country rule
        ("KZ", "ALA", 3, True),
        ("DE", "BE", 9, False),  # no rule → default
        ("", "", 9, False),  # unknown → default
    ],
)
def test_region_goes_to_the_first_matching_rule_or_the_default(country, region, expected, by_rule):
    choice = branch_for_region(
        RULES,
        country_code=country,
        region_code=region,
        usable_branch_ids={1, 2, 3, 9},
        default_branch_id=9,
    )
    assert choice.branch_id == expected
    assert (choice.rule is not None) is by_rule


def test_a_rule_to_an_unusable_branch_is_skipped():
    choice = branch_for_region(
        RULES, country_code="RU", region_code="SVE", usable_branch_ids={1, 9}, default_branch_id=9
    )
    assert choice.branch_id == 1


WEEKDAYS_9_TO_18 = [Interval(d, time(9), time(18)) for d in range(5)]
NIGHT_SHIFT = [Interval(4, time(22), time(2))]  # Friday 22:00 → Saturday 02:00


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), True),  # Mon 09:00 Moscow
        (datetime(2026, 11, 23, 5, 59, tzinfo=UTC), False),  # Mon 08:59
        (datetime(2026, 11, 23, 15, 0, tzinfo=UTC), False),  # Mon 18:00 (closing is exclusive)
        (datetime(2026, 11, 28, 8, 0, tzinfo=UTC), False),  # Saturday
    ],
)
def test_weekday_hours_in_the_branch_time_zone(when, expected):
    assert is_open(when, tz="Europe/Moscow", weekly=WEEKDAYS_9_TO_18) is expected


def test_the_same_instant_differs_by_time_zone():
    instant = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 08:00 Moscow, 10:00 Yekaterinburg
    assert not is_open(instant, tz="Europe/Moscow", weekly=WEEKDAYS_9_TO_18)
    assert is_open(instant, tz="Asia/Yekaterinburg", weekly=WEEKDAYS_9_TO_18)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 27, 19, 30, tzinfo=UTC), True),  # Fri 22:30 Moscow
        (datetime(2026, 11, 27, 22, 30, tzinfo=UTC), True),  # Sat 01:30 — past midnight
        (datetime(2026, 11, 27, 23, 0, tzinfo=UTC), False),  # Sat 02:00
        (datetime(2026, 11, 27, 18, 59, tzinfo=UTC), False),  # Fri 21:59
    ],
)
def test_intervals_past_midnight(when, expected):
    assert is_open(when, tz="Europe/Moscow", weekly=NIGHT_SHIFT) is expected


def test_a_holiday_closes_and_special_hours_replace_the_day():
    monday_noon = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    holiday = [DateException(date(2026, 11, 23), closed=True)]
    assert not is_open(monday_noon, tz="Europe/Moscow", weekly=WEEKDAYS_9_TO_18, exceptions=holiday)
    short_day = [DateException(date(2026, 11, 23), False, time(10), time(11))]
    assert not is_open(
        monday_noon, tz="Europe/Moscow", weekly=WEEKDAYS_9_TO_18, exceptions=short_day
    )
    saturday = [DateException(date(2026, 11, 28), False, time(10), time(14))]
    assert is_open(
        datetime(2026, 11, 28, 8, 0, tzinfo=UTC),
        tz="Europe/Moscow",
        weekly=WEEKDAYS_9_TO_18,
        exceptions=saturday,
    )


def test_a_branch_without_hours_is_open_round_the_clock_except_holidays():
    sunday_night = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert is_open(sunday_night, tz="Europe/Moscow", weekly=[])
    assert not is_open(
        sunday_night,
        tz="Europe/Moscow",
        weekly=[],
        exceptions=[DateException(date(2026, 11, 30), closed=True)],
    )


@pytest.mark.parametrize(
    ("intervals", "problem"),
    [
        ([Interval(0, time(9), time(13)), Interval(0, time(12), time(18))], "overlap"),
        ([Interval(0, time(9), time(9))], "empty"),
        ([Interval(6, time(22), time(3)), Interval(0, time(1), time(5))], "overlap"),
        ([Interval(7, time(9), time(10))], "weekday"),
    ],
)
def test_overlapping_or_empty_hours_are_reported(intervals, problem):
    assert problem in intervals_validate(intervals)


def test_valid_hours_report_nothing():
    assert intervals_validate(WEEKDAYS_9_TO_18 + NIGHT_SHIFT) == []


def test_pick_prefers_the_least_loaded_and_respects_capacity():
    candidates = [Candidate(1, 3, None), Candidate(2, 1, None), Candidate(3, 1, 1)]
    assert pick_operator(candidates) == 2  # 3 is at capacity
    assert pick_operator(candidates, exclude={2}) == 1
    assert pick_operator([Candidate(1, 2, 2)]) is None


def test_pick_is_random_among_equals():
    rng = random.Random(7)
    picks = Counter(
        pick_operator([Candidate(i, 0, None) for i in range(5)], rng=rng) for _ in range(1000)
    )
    assert set(picks) == set(range(5))
    assert max(picks.values()) - min(picks.values()) < 120


def test_operator_preference_lists_those_with_room_least_loaded_first_skipping_excluded():
    candidates = [
        policy.Candidate(1, 3, None),
        policy.Candidate(2, 1, 2),
        policy.Candidate(3, 2, 2),  # full
        policy.Candidate(4, 1, None),
        policy.Candidate(5, 0, 5),
    ]
    order = policy.operator_preference(candidates, exclude={5}, rng=random.Random(7))
    assert order[-1] == 1 and set(order[:2]) == {2, 4} and 3 not in order and 5 not in order
    firsts = {
        policy.operator_preference(candidates, exclude={5}, rng=random.Random(seed))[0]
        for seed in range(20)
    }
    assert firsts == {2, 4}  # equals take turns being first


def test_a_country_rule_above_region_rules_of_its_country_is_said_to_shadow_them():
    ru, sve, mow, kz_ala = (
        policy.Rule("RU", "", 1),
        policy.Rule("RU", "SVE", 2),
        policy.Rule("ru", "MOW", 3),
        policy.Rule("KZ", "ALA", 4),
    )
    assert policy.region_rules_shadowed([sve, ru, mow, kz_ala]) == {1: [mow]}
    assert policy.region_rules_shadowed([sve, mow, ru, kz_ala]) == {}
