"""Receipts: how far each side has received and read, the ticks the other side sees, and
each operator's own read position (their unread counter)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients
from inboxes.conversations.locks import state_copy as _copy_state
from inboxes.conversations.payloads import receipts_payload
from inboxes.models import Conversation, ConversationReadMark, Message
from messenger.kernel import events as domain
from messenger.realtime import publish_on_commit
from tenants.accounts.models import User


def read_mark_set(*, conversation: Conversation, user: User, seq: int) -> bool:
    """Move the user's read position forward (never back); True when it moved."""
    mark, created = ConversationReadMark.objects.get_or_create(
        conversation=conversation, user=user, defaults={"last_read_seq": seq}
    )
    if created:
        return True
    return bool(
        ConversationReadMark.objects.filter(pk=mark.pk, last_read_seq__lt=seq).update(
            last_read_seq=seq
        )
    )


def _seq_clamp(seq: object, conversation: Conversation) -> int:
    try:
        value = int(seq)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise ValidationError({"seq": [_("Invalid sequence number.")]}) from exc
    if value < 0:
        raise ValidationError({"seq": [_("Invalid sequence number.")]})
    return min(value, conversation.last_seq)


@transaction.atomic
def visitor_receipts_mark(
    *, conversation: Conversation, delivered_seq: object = None, read_seq: object = None
) -> Conversation:
    """The visitor has received / read the operators' messages up to these numbers."""
    return _receipts_mark(conversation, "visitor", delivered_seq, read_seq)


@transaction.atomic
def operator_receipts_mark(
    *, conversation: Conversation, user: User, delivered_seq: object = None, read_seq: object = None
) -> Conversation:
    """An operator has received / read the visitor's messages up to these numbers.

    Their own unread counter follows; the visitor's ticks follow only for the operator who
    handles the conversation (or anyone while it is unassigned).
    """
    if read_seq is not None:
        seq = _seq_clamp(read_seq, conversation)
        # In this transaction, routing stops the assignee's escalation timer (the chat is
        # opened) before the read position moves.
        domain.emit(
            domain.CONVERSATION_READ,
            conversation_id=conversation.pk,
            user_id=user.pk,
            assignee_id=conversation.assignee_id,
            read_seq=seq,
        )
        if read_mark_set(conversation=conversation, user=user, seq=seq):
            from inboxes.conversations.selectors import unread_summary

            summary = unread_summary(user=user, conversation_ids=[conversation.pk])
            publish_on_commit(events.UNREAD_CHANGED, summary, to=[recipients.user_group(user.pk)])
    counts_for_visitor = conversation.assignee_id in (None, user.pk)
    if not counts_for_visitor:
        read_seq = None
    return _receipts_mark(conversation, "operator", delivered_seq, read_seq)


def _receipts_mark(
    conversation: Conversation, reader: str, delivered_seq: object, read_seq: object
) -> Conversation:
    """Advance `<reader>_delivered_seq` / `<reader>_read_seq` (never back) and stamp the
    other side's messages; announce the new ticks when anything moved."""
    other = Message.Sender.OPERATOR if reader == "visitor" else Message.Sender.VISITOR
    updates: dict[str, object] = {}
    now = timezone.now()
    read = _seq_clamp(read_seq, conversation) if read_seq is not None else None
    delivered = _seq_clamp(delivered_seq, conversation) if delivered_seq is not None else None
    if read is not None:
        delivered = max(delivered or 0, read)  # read implies delivered
    if delivered is not None:
        updates[f"{reader}_delivered_seq"] = Greatest(F(f"{reader}_delivered_seq"), delivered)
    if read is not None:
        updates[f"{reader}_read_seq"] = Greatest(F(f"{reader}_read_seq"), read)
    if not updates:
        return conversation
    before = (
        Conversation.objects.filter(pk=conversation.pk)
        .values(f"{reader}_delivered_seq", f"{reader}_read_seq")
        .first()
    )
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    fresh = Conversation.objects.select_related("contact").get(pk=conversation.pk)
    if delivered is not None:
        Message.objects.filter(
            conversation=fresh, sender_type=other, seq__lte=delivered, delivered_at=None
        ).update(delivered_at=now)
    if read is not None:
        Message.objects.filter(
            conversation=fresh, sender_type=other, seq__lte=read, read_at=None
        ).update(read_at=now)
    after = {
        f"{reader}_delivered_seq": getattr(fresh, f"{reader}_delivered_seq"),
        f"{reader}_read_seq": getattr(fresh, f"{reader}_read_seq"),
    }
    if before != after:
        publish_on_commit(
            events.MESSAGE_RECEIPTS,
            receipts_payload(fresh),
            to=recipients.everyone_groups(
                contact_id=fresh.contact_id, assignee_id=fresh.assignee_id
            ),
        )
    _copy_state(fresh, into=conversation)
    return fresh
