"""Messages: validating, storing once per client id (numbered gap-free under the
conversation's lock), and announcing them; the visitor's text message takes one SQL statement
(visitor_sql). Each stored message emits `message.sent` (messenger.kernel.events)."""

from __future__ import annotations

import uuid
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, visitor_sql
from inboxes.conversations.announce import conversation_announce, conversation_updated_announce
from inboxes.conversations.facts import assigned_emit
from inboxes.conversations.formatting import markdown_render
from inboxes.conversations.locks import locked as _locked
from inboxes.conversations.locks import state_copy as _copy_state
from inboxes.conversations.receipts import read_mark_set
from inboxes.models import Attachment, Conversation, Message
from inboxes.models.message import BODY_MAX_LENGTH
from messenger.kernel import events as domain
from tenants.accounts.models import User

PREVIEW_LENGTH = 140


def body_validate(body: object, *, allow_empty: bool = False) -> str:
    """The message text, stripped; empty (without files) or over 10,000 characters is a clear
    error."""
    if body is None and allow_empty:
        body = ""
    if not isinstance(body, str):
        raise ValidationError({"body": [_("The message must be text.")]})
    text = body.strip()
    if not text and not allow_empty:
        raise ValidationError({"body": [_("The message is empty.")]})
    if len(text) > BODY_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("The message is longer than %(n)d characters.") % {"n": BODY_MAX_LENGTH}]}
        )
    return text


def _existing_message(conversation_id: int, client_id: uuid.UUID | None) -> Message | None:
    if client_id is None:
        return None
    return (
        Message.objects.select_related("sender_user")
        .filter(conversation_id=conversation_id, client_id=client_id)
        .first()
    )


def message_create(
    *,
    conversation: Conversation,
    sender_type: str,
    body: object,
    client_id: uuid.UUID | str | None,
    sender_user: User | None = None,
    attachment_ids: list[int] | tuple[int, ...] = (),
) -> tuple[Message, bool]:
    """Store a message once per client id and announce it after commit. (message, created)

    A retry with the same client id returns the stored message and announces nothing.
    Files uploaded to this conversation by the same side travel with it.
    """
    message, created, locked = _message_store(
        conversation.pk, {}, sender_type, body, client_id, sender_user, attachment_ids
    )
    if locked is not None:
        _copy_state(locked, into=conversation)
    return message, created


def visitor_message_create(
    *,
    conversation_id: int,
    contact_id: int,
    inbox_id: int,
    body: object,
    client_id: uuid.UUID | str | None,
    attachment_ids: list[int] | tuple[int, ...] = (),
) -> tuple[Message, bool]:
    """`message_create` for a visitor's socket: the conversation must be that contact's in that
    inbox (Conversation.DoesNotExist otherwise), checked by the same query that locks it.

    A text message (the common case) is one SQL statement (`visitor_message_sql`); one with
    files takes the general path."""
    if not attachment_ids:
        text = body_validate(body)
        client_uuid = _client_id_parse(client_id)
        try:
            return _visitor_message_fast(conversation_id, contact_id, inbox_id, text, client_uuid)
        except IntegrityError:
            existing = _existing_message(conversation_id, client_uuid)
            if existing is None:
                raise
            return existing, False
    message, created, _locked_row = _message_store(
        conversation_id,
        {"contact_id": contact_id, "inbox_id": inbox_id},
        Message.Sender.VISITOR,
        body,
        client_id,
        None,
        attachment_ids,
    )
    return message, created


def _message_store(
    conversation_id: int,
    scope: dict[str, int],
    sender_type: str,
    body: object,
    client_id: uuid.UUID | str | None,
    sender_user: User | None,
    attachment_ids: list[int] | tuple[int, ...],
) -> tuple[Message, bool, Conversation | None]:
    text = body_validate(body, allow_empty=bool(attachment_ids))
    client_id = _client_id_parse(client_id)
    # No look-up first: a retry is rare, and the unique (conversation, client id) constraint
    # turns it into an IntegrityError that rolls back the whole attempt, numbering included.
    try:
        with transaction.atomic():
            locked = _locked(conversation_id, **scope)
            message = _message_insert(
                locked, sender_type, text, client_id, sender_user, list(attachment_ids)
            )
            return message, True, locked
    except IntegrityError:
        existing = _existing_message(conversation_id, client_id)
        if existing is None:
            raise
        return existing, False, None


def _client_id_parse(client_id: uuid.UUID | str | None) -> uuid.UUID | None:
    if client_id is None or isinstance(client_id, uuid.UUID):
        return client_id
    try:
        return uuid.UUID(str(client_id))
    except ValueError as exc:
        raise ValidationError({"client_id": [_("Invalid client message id.")]}) from exc


def _visitor_message_fast(
    conversation_id: int, contact_id: int, inbox_id: int, text: str, client_id: uuid.UUID | None
) -> tuple[Message, bool]:
    """`_message_insert` for a visitor's text message, in one statement (see visitor_sql)."""
    now = timezone.now()
    # Alone it is its own transaction; inside one (a test, a caller's atomic block) a savepoint
    # keeps a duplicate client id from aborting the caller's transaction.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(
            visitor_sql.statement(),
            {
                "conversation_id": conversation_id,
                "contact_id": contact_id,
                "inbox_id": inbox_id,
                "now": now,
                "preview": text[:PREVIEW_LENGTH],
                "closed": Conversation.Status.CLOSED,
                "open": Conversation.Status.OPEN,
                "sender_type": Message.Sender.VISITOR,
                "body": text,
                "body_html": markdown_render(text),
                "client_id": client_id,
            },
        )
        row = cursor.fetchone()
    if row is None:
        raise Conversation.DoesNotExist("No such conversation for this visitor.")
    message, conversation, previous_status = visitor_sql.instances(row)
    conversation_announce(
        events.MESSAGE_CREATED,
        conversation,
        message=message,
        previous_assignee_id=conversation.assignee_id,
    )
    if previous_status != conversation.status:
        conversation_updated_announce(conversation)
    _emit_facts(message, conversation, previous_status, conversation.assignee_id)
    return message, True


def _attachments_claim(
    conversation: Conversation, sender_type: str, attachment_ids: list[int]
) -> list[Attachment]:
    found = list(
        Attachment.objects.select_for_update().filter(
            pk__in=attachment_ids,
            conversation=conversation,
            uploaded_by=sender_type,
            message__isnull=True,
        )
    )
    if len(found) != len(set(attachment_ids)):
        raise ValidationError({"attachments": [_("Unknown or already sent file.")]})
    return found


def _message_insert(
    locked: Conversation,
    sender_type: str,
    text: str,
    client_id: uuid.UUID | None,
    sender_user: User | None,
    attachment_ids: list[int] | None = None,
) -> Message:
    # The row lock (taken by the caller) serialises senders in one conversation: numbers are
    # consecutive, gap-free.
    now = timezone.now()
    previous_status, previous_assignee_id = locked.status, locked.assignee_id
    is_operator = sender_type == Message.Sender.OPERATOR
    locked.last_seq += 1
    locked.last_message_at = now
    attachments = _attachments_claim(locked, sender_type, attachment_ids or [])
    locked.last_message_preview = (text or " ".join(f"📎 {a.name}" for a in attachments))[
        :PREVIEW_LENGTH
    ]
    fields = ["last_seq", "last_message_at", "last_message_preview"]
    if sender_type == Message.Sender.VISITOR and locked.status == Conversation.Status.CLOSED:
        locked.status, locked.closed_at = Conversation.Status.OPEN, None
        fields += ["status", "closed_at"]
    if is_operator and locked.first_response_at is None:
        locked.first_response_at = now
        fields.append("first_response_at")
    if is_operator and locked.assignee_id is None and sender_user is not None:
        locked.assignee = sender_user  # the operator who answers takes the chat
        fields.append("assignee")
    locked.save(update_fields=fields)
    message = Message.objects.create(
        conversation=locked,
        seq=locked.last_seq,
        sender_type=sender_type,
        sender_user=sender_user,
        body=text,
        body_html=markdown_render(text) if text else "",
        client_id=client_id,
        created_at=now,
    )
    if attachments:
        Attachment.objects.filter(pk__in=[a.pk for a in attachments]).update(message=message)
        for attachment in attachments:
            attachment.message = message
    # The payload lists the message's files: they are the ones just claimed, no query needed.
    message._prefetched_objects_cache = {  # type: ignore[attr-defined]
        Message.attachments.field.remote_field.cache_name: attachments
    }
    if is_operator and sender_user is not None:
        read_mark_set(conversation=locked, user=sender_user, seq=locked.last_seq)
    conversation_announce(
        events.MESSAGE_CREATED, locked, message=message, previous_assignee_id=previous_assignee_id
    )
    if previous_status != locked.status:
        conversation_updated_announce(locked)
    _emit_facts(message, locked, previous_status, previous_assignee_id)
    return message


def _emit_facts(
    message: Message,
    conversation: Conversation,
    previous_status: str,
    previous_assignee_id: int | None,
) -> None:
    """`message.sent`, and what the message changed: a visitor writing in a closed chat
    reopens it; an operator answering an unassigned chat takes it."""
    domain.emit(
        domain.MESSAGE_SENT,
        conversation_id=conversation.pk,
        message_id=message.pk,
        seq=message.seq,
        sender_type=message.sender_type,
        sender_user_id=message.sender_user_id,
    )
    if previous_status == Conversation.Status.CLOSED != conversation.status:
        domain.emit(domain.CONVERSATION_REOPENED, conversation_id=conversation.pk, actor_id=None)
    if previous_assignee_id != conversation.assignee_id:
        assigned_emit(
            conversation,
            previous_assignee_id=previous_assignee_id,
            reason="answered",
            actor_id=message.sender_user_id,
        )
