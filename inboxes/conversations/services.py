"""Conversation services: starting, messaging, receipts, typing, closing, taking.

Each write is one transaction; real-time signals go out after commit to the groups chosen in
`recipients`. Run inside the company's schema.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients, visitor_sql
from inboxes.conversations.announce import conversation_announce
from inboxes.conversations.contact_info import (
    contact_info_parse,
    email_normalize,
    phone_normalize,
)
from inboxes.conversations.formatting import markdown_render
from inboxes.conversations.payloads import (
    conversation_payload,
    receipts_payload,
)
from inboxes.models import (
    Attachment,
    Contact,
    Conversation,
    ConversationReadMark,
    Inbox,
    Message,
)
from inboxes.models.message import BODY_MAX_LENGTH
from messenger.geo import GeoLocation
from messenger.realtime import publish, publish_on_commit
from messenger.tasks import enqueue_on_commit
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


def _geo_fields(ip: str | None, geo: GeoLocation | None) -> dict[str, object]:
    return {
        "ip_address": ip or None,
        "country_code": geo.country_code if geo else "",
        "region_code": geo.region_code if geo else "",
        "region_name": geo.region_name if geo else "",
        "region_name_ru": geo.region_name_ru if geo else "",
    }


def contact_create(
    *,
    page_url: str = "",
    user_agent: str = "",
    ip: str | None = None,
    geo: GeoLocation | None = None,
) -> Contact:
    """A new visitor, with where they are (roadmap item 1: detected when the session starts)."""
    return Contact.objects.create(
        last_page_url=page_url[:2000], user_agent=user_agent[:400], **_geo_fields(ip, geo)
    )


def contact_seen(
    *, contact: Contact, page_url: str = "", ip: str | None = None, geo: GeoLocation | None = None
) -> Contact:
    fields: dict[str, object] = {"last_seen_at": timezone.now()}
    if page_url:
        fields["last_page_url"] = page_url[:2000]
    if ip and ip != contact.ip_address:
        fields.update(_geo_fields(ip, geo))
    Contact.objects.filter(pk=contact.pk).update(**fields)
    for name, value in fields.items():
        setattr(contact, name, value)
    return contact


def contact_update(
    *, contact: Contact, name: str | None = None, email: str | None = None, phone: str | None = None
) -> Contact:
    """The visitor's own details; the address and number checked and normalised (see
    contact_info), all stored as text (shown as text everywhere, never HTML)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str | None] = {"name": name, "email": email, "phone": phone}
    if name is not None and len(name.strip()) > 120:
        errors["name"] = [_("The name is too long.")]
    for field, normalize in (("email", email_normalize), ("phone", phone_normalize)):
        value = (values[field] or "").strip()
        if not value:
            continue
        try:
            values[field] = normalize(value, field=field)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        if value is not None:
            setattr(contact, field, value.strip())
    contact.save(update_fields=["name", "email", "phone"])
    return contact


@transaction.atomic
def offline_request_create(
    *,
    inbox: Inbox,
    contact: Contact,
    name: str,
    contact_info: str,
    body: object,
    client_id: uuid.UUID | str,
) -> Conversation:
    """ "Nobody is here, leave a request": saved as a conversation marked as a request,
    waiting in the panel for follow-up; once committed, the people who follow it up are
    emailed (see notifications)."""
    errors: dict[str, list[str]] = {}
    text, info = "", None
    try:
        text = body_validate(body)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        info = contact_info_parse(contact_info)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors or info is None:
        raise ValidationError(errors)  # every field's error at once, for the form
    contact_update(contact=contact, name=name, **{info.kind: info.value})
    conversation, _created = conversation_start(inbox=inbox, contact=contact, is_request=True)
    message_create(conversation=conversation, sender_type="visitor", body=text, client_id=client_id)
    enqueue_on_commit("inboxes.tasks.offline_request_notify", conversation.pk)
    return conversation


def conversation_open_for(*, inbox: Inbox, contact: Contact) -> Conversation | None:
    """The contact's latest conversation in this inbox that is not closed."""
    return (
        Conversation.objects.filter(inbox=inbox, contact=contact)
        .exclude(status=Conversation.Status.CLOSED)
        .order_by("-created_at")
        .first()
    )


def contact_geo(contact: Contact) -> GeoLocation | None:
    if not contact.country_code:
        return None
    return GeoLocation(
        contact.country_code, "", contact.region_code, contact.region_name, contact.region_name_ru
    )


@transaction.atomic
def conversation_start(
    *, inbox: Inbox, contact: Contact, is_request: bool = False
) -> tuple[Conversation, bool]:
    """Resume the contact's open conversation in the inbox, or start one and route it.
    Returns (conversation, created)."""
    from inboxes.routing.services import conversation_place, conversation_route

    # Lock the contact row so two tabs starting at once get one conversation.
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    existing = conversation_open_for(inbox=inbox, contact=contact)
    if existing is not None and not is_request:
        return existing, False
    conversation = Conversation.objects.create(inbox=inbox, contact=contact, is_request=is_request)
    if is_request:
        conversation.status = Conversation.Status.PENDING
        conversation.queued_at = timezone.now()
        conversation.save(update_fields=["status", "queued_at"])
        conversation_place(conversation, geo=contact_geo(contact))
    else:
        conversation_route(conversation, geo=contact_geo(contact))
    conversation = Conversation.objects.select_related("contact", "assignee").get(
        pk=conversation.pk
    )
    publish_on_commit(
        events.CONVERSATION_CREATED,
        conversation_payload(conversation),
        to=recipients.operator_groups(assignee_id=conversation.assignee_id),
    )
    return conversation, True


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
        _announce_conversation(conversation)
    return message, True


def _locked(conversation_id: int, **scope: int) -> Conversation:
    """The conversation row, locked until commit (only this row, not the joined ones);
    `scope` narrows it (a visitor's own conversation), else Conversation.DoesNotExist."""
    return (
        Conversation.objects.select_related("contact", "assignee")
        .select_for_update(of=("self",))
        .get(pk=conversation_id, **scope)
    )


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
        _read_mark_set(conversation=locked, user=sender_user, seq=locked.last_seq)
    conversation_announce(
        events.MESSAGE_CREATED, locked, message=message, previous_assignee_id=previous_assignee_id
    )
    if previous_status != locked.status:
        _announce_conversation(locked)
    return message


def _copy_state(source: Conversation, *, into: Conversation) -> None:
    if into is source:
        return
    for field in Conversation._meta.concrete_fields:
        setattr(into, field.attname, getattr(source, field.attname))


def _announce_conversation(conversation: Conversation) -> None:
    conversation_announce(events.CONVERSATION_UPDATED, conversation)


@transaction.atomic
def conversation_close(*, conversation: Conversation, actor: User) -> Conversation:
    locked = _locked(conversation.pk)
    if locked.status == Conversation.Status.CLOSED:
        raise ValidationError(_("The conversation is already closed."))
    locked.status, locked.closed_at = Conversation.Status.CLOSED, timezone.now()
    locked.queued_at = None
    locked.save(update_fields=["status", "closed_at", "queued_at"])
    _announce_conversation(locked)
    _copy_state(locked, into=conversation)
    if locked.branch_id is not None and locked.assignee_id is not None:
        # the assignee has room again: the branch's queue moves
        from inboxes.routing.services import queue_drain

        branch = locked.branch
        transaction.on_commit(lambda: queue_drain(branch))
    return locked


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, actor: User) -> Conversation:
    locked = _locked(conversation.pk)
    if locked.status != Conversation.Status.CLOSED:
        raise ValidationError(_("The conversation is not closed."))
    locked.status, locked.closed_at = Conversation.Status.OPEN, None
    locked.save(update_fields=["status", "closed_at"])
    _announce_conversation(locked)
    _copy_state(locked, into=conversation)
    return locked


@transaction.atomic
def conversation_take(*, conversation: Conversation, user: User) -> Conversation:
    """Assign the conversation to `user` (an operator taking it from the pool)."""
    locked = _locked(conversation.pk)
    previous = locked.assignee_id
    if previous == user.pk:
        return locked
    if previous is not None and not user.is_supervisor_or_admin:
        raise ValidationError(_("Another operator already handles this conversation."))
    locked.assignee = user
    locked.save(update_fields=["assignee"])
    conversation_announce(events.CONVERSATION_UPDATED, locked, previous_assignee_id=previous)
    _copy_state(locked, into=conversation)
    return locked


def _read_mark_set(*, conversation: Conversation, user: User, seq: int) -> bool:
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
    if read_seq is not None and conversation.assignee_id == user.pk:
        from inboxes.routing.services import conversation_opened

        conversation_opened(conversation=conversation, user=user)
    if read_seq is not None:
        seq = _seq_clamp(read_seq, conversation)
        if _read_mark_set(conversation=conversation, user=user, seq=seq):
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


def typing_signal(
    *, conversation: Conversation, side: str, is_typing: bool, user: User | None = None
) -> None:
    """A live-only signal (nothing stored): the visitor or an operator is typing."""
    payload = {
        "conversation_id": conversation.pk,
        "side": side,
        "is_typing": bool(is_typing),
        "name": user.full_name if user is not None else "",
    }
    if side == "visitor":
        groups = recipients.operator_groups(assignee_id=conversation.assignee_id)
    else:
        groups = [
            recipients.contact_group(conversation.contact_id),
            *recipients.operator_groups(assignee_id=conversation.assignee_id),
        ]
    publish(events.TYPING, payload, to=groups)
