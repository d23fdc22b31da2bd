"""Read queries for conversations: what an operator may see, lists with unread counts, pages
of messages by sequence number."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from inboxes.conversations.payloads import message_payload, receipts_payload
from inboxes.models import Conversation, ConversationReadMark, Message
from tenants.accounts.models import User

TABS = ("mine", "unassigned", "all")
PAGE_MAX = 100


def page_size(limit: int) -> int:
    """A requested page size within 1..PAGE_MAX."""
    return max(1, min(limit, PAGE_MAX))


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    """Supervisors and admins see every conversation; operators theirs and unassigned ones."""
    conversations = Conversation.objects.all()
    if not user.is_supervisor_or_admin:
        conversations = conversations.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return conversations


def with_unread(conversations: QuerySet[Conversation], user: User) -> QuerySet[Conversation]:
    """Annotate `unread`: the visitor's messages after the user's read position."""
    read_seq = ConversationReadMark.objects.filter(conversation=OuterRef("pk"), user=user).values(
        "last_read_seq"
    )[:1]
    unread = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            sender_type=Message.Sender.VISITOR,
            seq__gt=OuterRef("read_seq"),
        )
        .order_by()
        .values("conversation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return conversations.annotate(
        read_seq=Coalesce(Subquery(read_seq, output_field=IntegerField()), Value(0)),
    ).annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))


def conversation_list(
    *, user: User, tab: str = "all", status: str = "open", limit: int = 50
) -> list[Conversation]:
    conversations = conversations_visible_to(user)
    if tab == "mine":
        conversations = conversations.filter(assignee=user)
    elif tab == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    if status == "closed":
        conversations = conversations.filter(status=Conversation.Status.CLOSED)
    else:
        conversations = conversations.exclude(status=Conversation.Status.CLOSED)
    conversations = with_unread(conversations, user).select_related("contact", "assignee")
    return list(conversations.order_by("-last_message_at", "-pk")[: page_size(limit)])


def conversation_for_user(*, user: User, pk: int) -> Conversation:
    conversation = (
        conversations_visible_to(user)
        .select_related("contact", "assignee", "inbox")
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        raise Http404
    return conversation


def message_page(
    *,
    conversation: Conversation,
    after: int | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """Messages by sequence number: after a cursor (catch-up) or before one (older history);
    with neither, the latest page. Always returned oldest first."""
    limit = page_size(limit)
    messages = (
        Message.objects.filter(conversation=conversation)
        .select_related("sender_user")
        .prefetch_related("attachments")
    )
    if after is not None:
        return list(messages.filter(seq__gt=after).order_by("seq")[:limit])
    if before is not None:
        messages = messages.filter(seq__lt=before)
    return list(reversed(messages.order_by("-seq")[:limit]))


def unread_summary(*, user: User, conversation_ids: list[int] | None = None) -> dict[str, Any]:
    """Unread counts per conversation (all visible ones, or the given ones) and the number of
    open dialogs with anything unread — the badge on the "Dialogs" menu item."""
    visible = with_unread(
        conversations_visible_to(user).exclude(status=Conversation.Status.CLOSED), user
    )
    # `unread` is the annotation with_unread adds, which the Django plugin cannot follow.
    unread = visible.filter(unread__gt=0)  # type: ignore[misc]
    with_any = dict(unread.values_list("pk", "unread"))  # type: ignore[misc]
    per_conversation = dict(with_any)
    if conversation_ids is not None:
        per_conversation = {pk: per_conversation.get(pk, 0) for pk in conversation_ids}
    return {
        "conversations": {str(k): v for k, v in per_conversation.items()},
        "dialogs_with_unread": len(with_any),
    }


def resume_frame(conversation: Conversation, *, after: int) -> dict[str, Any]:
    """What a socket missed after message `after`, in order (100 at most), as its `messages`
    frame."""
    page = message_page(conversation=conversation, after=after, limit=100)
    return {
        "type": "messages",
        "conversation_id": conversation.pk,
        "payload": [message_payload(m) for m in page],
        # Receipts sent before this socket joined its groups were never heard: the answer
        # carries where they stand now (a first message's tick, say).
        "receipts": receipts_payload(conversation),
    }
