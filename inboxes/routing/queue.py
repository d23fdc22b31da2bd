"""The queue of a branch: waiting chats go to operators with room, oldest first, when room
appears (a chat closed, an operator online, a capacity raised, a chat transferred away)."""

from __future__ import annotations

from django.db import transaction

from inboxes.models import Conversation, ConversationAssignment
from inboxes.routing import policy, selectors
from inboxes.routing.assignment import (
    Reason,
    _assign,
    _claim,
    _locked_branch,
    _timeout_subquery,
)
from tenants.accounts.models import User
from tenants.organization.models import Branch


def queue_drain(branch: Branch, *, limit: int = 100) -> int:
    """Assign waiting conversations of the branch, oldest first, while someone has room."""
    assigned = 0
    while assigned < limit:
        with transaction.atomic():
            locked_branch = _locked_branch(branch.pk)
            waiting = (
                Conversation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("contact", "assignee")
                .annotate(escalation_timeout=_timeout_subquery())
                .filter(branch=locked_branch, queued_at__isnull=False, assignee__isnull=True)
                .exclude(status=Conversation.Status.CLOSED)
                .order_by("queued_at", "pk")
                .first()
            )
            if waiting is None:
                return assigned
            people, names = selectors.candidates_named(locked_branch)
            chosen = _claim(policy.operator_preference(people), people, names)
            if chosen is None:
                return assigned
            _assign(
                waiting,
                chosen,
                reason=Reason.ROUTING,
                note=ConversationAssignment.NOTE_FROM_QUEUE,
            )
            assigned += 1
    return assigned


def queues_drain_for(user: User) -> int:
    return sum(queue_drain(branch) for branch in user.branches.filter(is_active=True))
