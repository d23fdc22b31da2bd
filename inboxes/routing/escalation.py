"""Escalation: a chat its assignee has not opened in time passes to the next operator (or
back to the queue, with an alert to supervisors). The timer is a kernel deadline of kind
ESCALATION armed by assignment; opening the chat stops it for good."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients
from inboxes.models import Conversation, ConversationAssignment
from inboxes.routing import policy, selectors
from inboxes.routing.assignment import (
    ESCALATION,
    Reason,
    _assign,
    _claim,
    _locked_conversation,
)
from messenger.kernel.deadlines import deadline_handler, deadlines_cancel
from messenger.realtime import publish_on_commit
from tenants.accounts.models import User
from tenants.organization.models import Branch

__all__ = ["ESCALATION", "conversation_opened", "escalation_fire"]


@transaction.atomic
def conversation_opened(*, conversation: Conversation, user: User) -> bool:
    """The assignee opened the dialog: the escalation timer stops for good."""
    locked = _locked_conversation(conversation.pk)
    if locked.assignee_id != user.pk or locked.opened_at is not None:
        return False
    locked.opened_at = timezone.now()
    locked.save(update_fields=["opened_at"])
    deadlines_cancel(kind=ESCALATION, object_id=locked.pk)
    conversation.opened_at = locked.opened_at
    return True


def _escalation_preference(
    candidates: list[policy.Candidate], tried: set[int], previous: int
) -> list[int]:
    # Those who have not had it yet first; then anyone but the one who just let it wait.
    fresh = policy.operator_preference(candidates, exclude=tried)
    again = policy.operator_preference(candidates, exclude={previous, *fresh})
    return fresh + again


@transaction.atomic
def escalation_fire(conversation_id: int, assignment_id: int) -> str:
    """The assignee did not open the chat in time: pass it on. A stale timer does nothing.

    The reading (the history, the candidates, the order to try them in) comes before any lock;
    under the conversation's lock only what may have changed meanwhile is checked again (the
    chat and its current assignment), and the operator is claimed like every assigner does."""
    state = (
        Conversation.objects.filter(pk=conversation_id)
        .values("branch_id", "status", "opened_at", "assignee_id")
        .first()
    )
    if state is None or state["branch_id"] is None:
        return "gone"
    if (
        state["status"] == Conversation.Status.CLOSED
        or state["opened_at"] is not None
        or state["assignee_id"] is None
    ):
        return "stale"
    # Newest first: the first is the current assignment, the rest say who has had it.
    history = list(
        ConversationAssignment.objects.filter(conversation_id=conversation_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", "assignee_id")
    )
    if not history or history[0][0] != assignment_id:
        return "stale"
    previous = state["assignee_id"]
    tried = {assignee for _pk, assignee in history if assignee is not None}
    candidates, names = selectors.candidates_named(Branch(pk=state["branch_id"]))
    preference = _escalation_preference(candidates, tried, previous)

    conversation = _locked_conversation(conversation_id)
    current = (
        conversation.assignments.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    )
    if (
        conversation.status == Conversation.Status.CLOSED
        or conversation.opened_at is not None
        or conversation.branch_id != state["branch_id"]
        or conversation.assignee_id != previous
        or current != assignment_id
    ):
        return "stale"
    chosen = _claim(preference, candidates, names)
    if chosen is not None:
        _assign(
            conversation,
            chosen,
            reason=Reason.ESCALATION,
            note=ConversationAssignment.NOTE_NOT_OPENED,
            timer_pending=False,
        )
        return "passed"
    _assign(
        conversation,
        None,
        reason=Reason.ESCALATION,
        note=ConversationAssignment.NOTE_NOT_OPENED_NOBODY_FREE,
        timer_pending=False,
    )
    branch = Branch.objects.only("name").get(pk=state["branch_id"])
    publish_on_commit(
        events.ROUTING_ALERT,
        {
            "conversation_id": conversation.pk,
            "branch_id": branch.pk,
            "message": _("A chat waits in %(branch)s: nobody else is free to take it.")
            % {"branch": branch.name},
        },
        to=[recipients.staff_group()],
    )
    return "queued"


@deadline_handler(ESCALATION)
def escalation_deadline(conversation_id: int, assignment_id: int) -> None:
    escalation_fire(conversation_id, assignment_id)
