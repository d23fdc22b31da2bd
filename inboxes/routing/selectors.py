"""Read side of routing: hours and rules as policy values, candidates with their load."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, FilteredRelation, Q
from django.utils import timezone

from inboxes.models import BusinessHoursException, BusinessHoursInterval, Conversation, RoutingRule
from inboxes.routing import policy
from tenants.accounts.models import User
from tenants.organization.models import Branch


def rules_for_policy() -> list[policy.Rule]:
    return [
        policy.Rule(r.country_code, r.region_code, r.branch_id, r.label)
        for r in RoutingRule.objects.order_by("position", "pk")
    ]


def branch_is_open(branch: Branch, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    weekly = [
        policy.Interval(i.weekday, i.opens, i.closes)
        for i in BusinessHoursInterval.objects.filter(branch=branch)
    ]
    day = at.date()  # exceptions two days either side cover every time zone's "today"
    exceptions = [
        policy.DateException(e.date, e.closed, e.opens, e.closes)
        for e in BusinessHoursException.objects.filter(
            branch=branch, date__range=(day - timedelta(days=2), day + timedelta(days=2))
        )
    ]
    return policy.is_open(at, tz=branch.timezone, weekly=weekly, exceptions=exceptions)


OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING)


def operators_with_load(branch: Branch, *, online_only: bool = True):  # type: ignore[no-untyped-def]
    """Active members of the branch with `load` = conversations they hold that are not closed."""
    people = User.objects.filter(is_active=True, branches=branch)
    if online_only:
        people = people.filter(status=User.Status.ONLINE)
    # The condition sits in the join (FilteredRelation), not in a FILTER on the count: the
    # join then reads only open chats through `conv_assignee_recent`, not every chat ever held.
    return people.annotate(
        open_chats=FilteredRelation(
            "assigned_conversations",
            condition=Q(assigned_conversations__status__in=OPEN_STATUSES),
        )
    ).annotate(load=Count("open_chats"))


def candidates_named(branch: Branch) -> tuple[list[policy.Candidate], dict[int, str]]:
    """The branch's online operators with their load, and their names (for the announcement,
    so the chosen one needs no query of its own). Plain tuples: with 200 operators, making
    model instances costs more than the query."""
    rows = operators_with_load(branch).values_list("pk", "load", "capacity", "full_name")
    return (
        [policy.Candidate(pk, load, capacity) for pk, load, capacity, _name in rows],
        {pk: name for pk, _load, _capacity, name in rows},
    )


def branch_has_online_operator(branch: Branch) -> bool:
    return User.objects.filter(is_active=True, branches=branch, status=User.Status.ONLINE).exists()
