"""Operator status: online, away, busy or offline, announced to supervisors and the
operator's own sockets; emits `operator.status_changed` (routing drains the queues of an
operator who comes online, inboxes.routing.listeners)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients
from messenger.kernel import events as domain
from messenger.realtime import publish_on_commit
from tenants.accounts.models import User


@transaction.atomic
def operator_status_set(*, user: User, status: str) -> User:
    if status not in User.Status.values:
        raise ValidationError({"status": [_("Choose online, away, busy or offline.")]})
    User.objects.filter(pk=user.pk).update(status=status, status_changed_at=timezone.now())
    user.status = status
    publish_on_commit(
        events.OPERATOR_STATUS,
        {"user_id": user.pk, "status": status},
        to=[recipients.staff_group(), recipients.user_group(user.pk)],
    )
    domain.emit(domain.OPERATOR_STATUS_CHANGED, user_id=user.pk, status=status)
    return user
