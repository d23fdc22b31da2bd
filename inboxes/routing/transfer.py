"""Transfer: pass a chat to another branch, to its first free operator or a chosen one."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inboxes.models import Conversation
from inboxes.routing import selectors
from inboxes.routing.assignment import Reason, _assign, _locked_conversation, assign_next
from messenger.kernel import events as domain
from tenants.accounts.models import User
from tenants.organization.models import Branch


def transfer_targets(branch: Branch) -> list[dict[str, Any]]:
    """The branch's operators with their status and load, for the transfer dialog."""
    return [
        {
            "id": u.pk,
            "full_name": u.full_name,
            "status": u.status,
            "load": u.load,
            "capacity": u.capacity,
        }
        for u in selectors.operators_with_load(branch, online_only=False).order_by("full_name")
    ]


@transaction.atomic
def conversation_transfer(
    *,
    conversation: Conversation,
    actor: User,
    branch: Branch,
    operator: User | None = None,
    note: str = "",
) -> Conversation:
    """Pass a chat to another branch: to its first free operator, or to a chosen one."""
    branch = Branch.objects.get(pk=branch.pk)
    locked = _locked_conversation(conversation.pk)
    if locked.assignee_id != actor.pk and not actor.is_supervisor_or_admin:
        raise ValidationError(_("You can only transfer a chat you are handling."))
    if locked.status == Conversation.Status.CLOSED:
        raise ValidationError(_("A closed chat cannot be transferred."))
    if not branch.is_active:
        raise ValidationError(_("This branch is inactive."))
    if operator is not None and (
        not operator.is_active or not operator.branches.filter(pk=branch.pk).exists()
    ):
        raise ValidationError(
            _("This person does not work in %(branch)s.") % {"branch": branch.name}
        )
    old_branch = locked.branch
    locked.branch = branch
    locked.save(update_fields=["branch"])
    note = (note or "").strip()
    if operator is not None:
        _assign(locked, operator, reason=Reason.TRANSFER, actor=actor, note=note)
    else:
        assigned = assign_next(
            locked, reason=Reason.TRANSFER, actor=actor, note=note, exclude={actor.pk}
        )
        if assigned is None:
            locked.refresh_from_db()
    # After commit, routing moves the old branch's queue (inboxes.routing.listeners).
    domain.emit(
        domain.CONVERSATION_TRANSFERRED,
        conversation_id=locked.pk,
        from_branch_id=old_branch.pk if old_branch is not None else None,
        to_branch_id=branch.pk,
        actor_id=actor.pk,
    )
    conversation.refresh_from_db()
    return conversation
