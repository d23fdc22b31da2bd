"""The routing policy as pure functions: no database, no clock, easy to test exhaustively."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rule:
    country_code: str
    region_code: str
    branch_id: int
    label: str = ""


@dataclass(frozen=True)
class RegionChoice:
    branch_id: int | None
    rule: Rule | None  # None: the default branch was used


def branch_for_region(
    rules: Sequence[Rule],
    *,
    country_code: str,
    region_code: str,
    usable_branch_ids: set[int],
    default_branch_id: int | None,
) -> RegionChoice:
    """The first rule (in order) matching the region, or the country, whose branch is usable;
    otherwise the default branch."""
    country, region = country_code.upper(), region_code.upper()
    if country:
        for rule in rules:
            if rule.branch_id not in usable_branch_ids or rule.country_code.upper() != country:
                continue
            if not rule.region_code or rule.region_code.upper() == region:
                return RegionChoice(rule.branch_id, rule)
    return RegionChoice(default_branch_id, None)


def region_rules_shadowed(rules: Sequence[Rule]) -> dict[int, list[Rule]]:
    """For each whole-country rule (by its index), the region rules of that country placed
    below it: the country rule matches their chats first, so they never apply."""
    shadowed: dict[int, list[Rule]] = {}
    for index, rule in enumerate(rules):
        if rule.region_code:
            continue
        country = rule.country_code.upper()
        below = [
            other
            for other in rules[index + 1 :]
            if other.region_code and other.country_code.upper() == country
        ]
        if below:
            shadowed[index] = below
    return shadowed


@dataclass(frozen=True)
class Interval:
    weekday: int  # 0 = Monday
    opens: time
    closes: time  # <= opens: past midnight


@dataclass(frozen=True)
class DateException:
    day: date
    closed: bool
    opens: time | None = None
    closes: time | None = None


def _day_intervals(
    day: date, weekly: Sequence[Interval], exceptions: dict[date, DateException]
) -> list[tuple[time, time]]:
    exception = exceptions.get(day)
    if exception is not None:
        if exception.closed or exception.opens is None or exception.closes is None:
            return []
        return [(exception.opens, exception.closes)]
    return [(i.opens, i.closes) for i in weekly if i.weekday == day.weekday()]


ROUND_THE_CLOCK = tuple(Interval(day, time(0), time(0)) for day in range(7))


def is_open(
    at: datetime, *, tz: str, weekly: Sequence[Interval], exceptions: Iterable[DateException] = ()
) -> bool:
    """Whether a branch with these hours is open at `at` (aware), in its own time zone.
    A branch without weekly hours is open round the clock; date exceptions still apply."""
    by_day = {e.day: e for e in exceptions}
    week = weekly or ROUND_THE_CLOCK
    local = at.astimezone(ZoneInfo(tz))
    now_t, today = local.time(), local.date()
    for opens, closes in _day_intervals(today, week, by_day):
        if closes > opens and opens <= now_t < closes:
            return True
        if closes <= opens and now_t >= opens:  # the evening part of an overnight interval
            return True
    yesterday = today - timedelta(days=1)
    return any(
        closes <= opens and now_t < closes
        for opens, closes in _day_intervals(yesterday, week, by_day)
    )


def intervals_validate(intervals: Sequence[Interval]) -> list[str]:
    """Problems with a week of intervals: inverted-looking zero-length ones and overlaps."""
    problems: list[str] = []
    minutes: dict[int, list[tuple[int, int, Interval]]] = {}
    for interval in intervals:
        if not 0 <= interval.weekday <= 6:
            problems.append("weekday")
            continue
        start = interval.weekday * 1440 + interval.opens.hour * 60 + interval.opens.minute
        end_of_day = interval.closes.hour * 60 + interval.closes.minute
        length = (end_of_day - (start % 1440)) % 1440
        if length == 0:
            problems.append("empty")
            continue
        minutes.setdefault(0, []).append((start, start + length, interval))
    spans = sorted(minutes.get(0, []), key=lambda s: s[0])
    week = 7 * 1440
    for (_a_start, a_end, _), (b_start, _b_end, _) in itertools.pairwise(spans):
        if b_start < a_end:
            problems.append("overlap")
    if spans and spans[-1][1] > week and spans[0][0] < spans[-1][1] - week:
        problems.append("overlap")  # Sunday night running into Monday morning
    return problems


@dataclass(frozen=True)
class Candidate:
    user_id: int
    load: int  # open conversations now
    capacity: int | None  # None: no limit


def pick_operator(
    candidates: Sequence[Candidate],
    *,
    exclude: Iterable[int] = (),
    rng: random.Random | None = None,
) -> int | None:
    """Random among the least-loaded candidates with room, skipping `exclude`.

    Choosing only among the least loaded keeps the spread within one chat of even whatever
    the arrival order; randomness among equals keeps anyone from always being first.
    """
    order = operator_preference(candidates, exclude=exclude, rng=rng)
    return order[0] if order else None


def operator_preference(
    candidates: Sequence[Candidate],
    *,
    exclude: Iterable[int] = (),
    rng: random.Random | None = None,
) -> list[int]:
    """Every candidate with room, skipping `exclude`, least loaded first and in random order
    among equals: whom to try, in turn, when the first choice is being given a chat by someone
    else at the same moment."""
    excluded = set(exclude)
    room = [
        c
        for c in candidates
        if c.user_id not in excluded and (c.capacity is None or c.load < c.capacity)
    ]
    (rng or random).shuffle(room)
    return [c.user_id for c in sorted(room, key=lambda c: c.load)]
