"""Read queries for the company set-up screens."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from tenants.accounts.models import User
from tenants.organization.models import Branch, Invitation


def branch_list() -> QuerySet[Branch]:
    return Branch.objects.annotate(
        member_count=Count("members", filter=Q(members__is_active=True))
    ).order_by("-is_default", "name")


def team_list() -> QuerySet[User]:
    return User.objects.prefetch_related(
        Prefetch("branches", queryset=Branch.objects.order_by("name"))
    ).order_by("-is_active", "full_name")


def invitation_pending_list() -> list[Invitation]:
    return [i for i in Invitation.objects.prefetch_related("branches") if i.is_pending]
