"""What routing does when conversations and operators change: it listens to their domain
events (messenger.kernel.events) instead of being called by the conversation services.
Registered by `InboxesConfig.ready` (`register`).

Two facts are heard inside the emitting transaction, because the request's answer depends
on them: a new conversation is placed and assigned before the widget and the panel are told
who has it, and an assignee reading the chat stops its escalation timer in the same commit
as the read position. The rest moves queues once the change has committed.
"""

from __future__ import annotations

from inboxes.conversations.contacts import contact_geo
from inboxes.models import Conversation
from inboxes.routing.escalation import conversation_opened
from inboxes.routing.placement import conversation_place, conversation_route
from inboxes.routing.queue import queue_drain, queues_drain_for
from messenger.kernel import events as domain
from messenger.kernel.events import AFTER_COMMIT, IN_TRANSACTION, Event
from tenants.accounts.models import User
from tenants.organization.models import Branch


def conversation_created_route(event: Event) -> None:
    """Place the new conversation in its branch; a chat (not an offline request) is also
    assigned, or waits with the out-of-hours message."""
    conversation = Conversation.objects.select_related("contact", "inbox").get(
        pk=event.payload["conversation_id"]
    )
    geo = contact_geo(conversation.contact)
    if event.payload["is_request"]:
        conversation_place(conversation, geo=geo)
    else:
        conversation_route(conversation, geo=geo)


def conversation_read_open(event: Event) -> None:
    """The assignee read the chat: it counts as opened (the escalation timer stops)."""
    payload = event.payload
    if payload["assignee_id"] is None or payload["assignee_id"] != payload["user_id"]:
        return
    conversation_opened(
        conversation=Conversation(pk=payload["conversation_id"]),
        user=User(pk=payload["user_id"]),
    )


def conversation_closed_drain(event: Event) -> None:
    """The assignee has room again: their branch's queue moves."""
    payload = event.payload
    if payload["branch_id"] is not None and payload["assignee_id"] is not None:
        queue_drain(Branch(pk=payload["branch_id"]))


def conversation_transferred_drain(event: Event) -> None:
    """The chat left its branch: that branch's queue moves."""
    old, new = event.payload["from_branch_id"], event.payload["to_branch_id"]
    if old is not None and old != new:
        queue_drain(Branch(pk=old))


def operator_status_drain(event: Event) -> None:
    """An operator came online: the queues of their branches move."""
    if event.payload["status"] == User.Status.ONLINE:
        _drain_for(event.payload["user_id"])


def operator_capacity_drain(event: Event) -> None:
    """An operator's capacity changed: they may have room for waiting chats."""
    _drain_for(event.payload["user_id"])


def _drain_for(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        queues_drain_for(user)


def register() -> None:
    listen = domain.listener_add
    listen(domain.CONVERSATION_CREATED, conversation_created_route, kind=IN_TRANSACTION)
    listen(domain.CONVERSATION_READ, conversation_read_open, kind=IN_TRANSACTION)
    listen(domain.CONVERSATION_CLOSED, conversation_closed_drain, kind=AFTER_COMMIT)
    listen(domain.CONVERSATION_TRANSFERRED, conversation_transferred_drain, kind=AFTER_COMMIT)
    listen(domain.OPERATOR_STATUS_CHANGED, operator_status_drain, kind=AFTER_COMMIT)
    listen(domain.OPERATOR_CAPACITY_CHANGED, operator_capacity_drain, kind=AFTER_COMMIT)
