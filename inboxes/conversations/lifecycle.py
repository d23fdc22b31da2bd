"""A conversation's life: started (or resumed) by a visitor, an offline request, taken by an
operator, closed and reopened. Each fact is emitted as a domain event
(messenger.kernel.events); routing listens to them (inboxes.routing.listeners)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inboxes.conversations import events, recipients
from inboxes.conversations.announce import conversation_announce, conversation_updated_announce
from inboxes.conversations.contact_info import contact_info_parse
from inboxes.conversations.contacts import contact_update
from inboxes.conversations.facts import assigned_emit
from inboxes.conversations.locks import locked as _locked
from inboxes.conversations.locks import state_copy as _copy_state
from inboxes.conversations.messages import body_validate, message_create
from inboxes.conversations.payloads import conversation_payload
from inboxes.models import Contact, Conversation, Inbox
from messenger.kernel import events as domain
from messenger.realtime import publish_on_commit
from messenger.tasks import enqueue_on_commit
from tenants.accounts.models import User


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


@transaction.atomic
def conversation_start(
    *, inbox: Inbox, contact: Contact, is_request: bool = False
) -> tuple[Conversation, bool]:
    """Resume the contact's open conversation in the inbox, or start one. Returns
    (conversation, created).

    A new one emits `conversation.created`; routing places (and, for a chat, assigns) it in
    this same transaction (an in-transaction listener), so the announcement below and the
    caller's answer already name its branch and assignee."""
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
    domain.emit(
        domain.CONVERSATION_CREATED,
        conversation_id=conversation.pk,
        inbox_id=inbox.pk,
        contact_id=contact.pk,
        is_request=is_request,
    )
    conversation = Conversation.objects.select_related("contact", "assignee").get(
        pk=conversation.pk
    )
    publish_on_commit(
        events.CONVERSATION_CREATED,
        conversation_payload(conversation),
        to=recipients.operator_groups(assignee_id=conversation.assignee_id),
    )
    return conversation, True


@transaction.atomic
def conversation_close(*, conversation: Conversation, actor: User) -> Conversation:
    locked = _locked(conversation.pk)
    if locked.status == Conversation.Status.CLOSED:
        raise ValidationError(_("The conversation is already closed."))
    locked.status, locked.closed_at = Conversation.Status.CLOSED, timezone.now()
    locked.queued_at = None
    locked.save(update_fields=["status", "closed_at", "queued_at"])
    conversation_updated_announce(locked)
    _copy_state(locked, into=conversation)
    # After commit, routing moves the branch's queue: the assignee has room again.
    domain.emit(
        domain.CONVERSATION_CLOSED,
        conversation_id=locked.pk,
        branch_id=locked.branch_id,
        assignee_id=locked.assignee_id,
        actor_id=actor.pk,
    )
    return locked


@transaction.atomic
def conversation_reopen(*, conversation: Conversation, actor: User) -> Conversation:
    locked = _locked(conversation.pk)
    if locked.status != Conversation.Status.CLOSED:
        raise ValidationError(_("The conversation is not closed."))
    locked.status, locked.closed_at = Conversation.Status.OPEN, None
    locked.save(update_fields=["status", "closed_at"])
    conversation_updated_announce(locked)
    _copy_state(locked, into=conversation)
    domain.emit(domain.CONVERSATION_REOPENED, conversation_id=locked.pk, actor_id=actor.pk)
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
    assigned_emit(locked, previous_assignee_id=previous, reason="manual", actor_id=user.pk)
    return locked
