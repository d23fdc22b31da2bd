"""Panel API for conversations (mounted in the panel's NinjaAPI at /api/v1/conversations).

The WebSocket carries live events; everything here also works without it (initial load,
reload, a browser whose socket is blocked)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from ninja import File, Query, Router, Schema, UploadedFile

from billing.entitlements import feature_ensure
from inboxes.conversations import attachments, selectors, services
from inboxes.conversations.payloads import conversation_payload, message_payload
from inboxes.conversations.schemas import MessageIn
from inboxes.conversations.selectors import PAGE_MAX
from inboxes.routing import services as routing
from inboxes.visitors.access import visitor_sessions_end
from messenger.api_errors import PANEL_ANY, answers
from tenants.accounts.models import User
from tenants.accounts.permissions import AuthenticatedRequest
from tenants.organization.models import Branch

router = Router(tags=["conversations"])

OK = {200: dict}
ANY = PANEL_ANY  # what any request may get (messenger/api_errors.py)


class ReceiptsIn(Schema):
    delivered_seq: int | None = None
    read_seq: int | None = None


def _row(conversation: Any) -> dict[str, Any]:
    row = conversation_payload(conversation)
    row["unread"] = getattr(conversation, "unread", 0)
    return row


@router.get("", response=answers(OK, *ANY, 422))
def conversation_list(
    request: AuthenticatedRequest,
    tab: str = "all",
    status: str = "open",
    limit: int = Query(50, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    rows = selectors.conversation_list(user=request.user, tab=tab, status=status, limit=limit)
    return {
        "conversations": [_row(c) for c in rows],
        "unread": selectors.unread_summary(user=request.user),
    }


@router.get("/unread", response=answers(OK, *ANY))
def unread(request: AuthenticatedRequest) -> dict[str, Any]:
    return selectors.unread_summary(user=request.user)


@router.get("/{conversation_id}", response=answers(OK, *ANY, 422))
def conversation_get(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    return conversation_payload(conversation)


@router.get("/{conversation_id}/messages", response=answers(OK, *ANY, 422))
def message_list(
    request: AuthenticatedRequest,
    conversation_id: int,
    after: int | None = None,
    before: int | None = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    page = selectors.message_page(
        conversation=conversation, after=after, before=before, limit=limit
    )
    return {
        "messages": [message_payload(m) for m in page],
        "conversation": conversation_payload(conversation),
    }


@router.post("/{conversation_id}/messages", response=answers({200: dict, 201: dict}, *ANY, 422))
def message_send(request: AuthenticatedRequest, conversation_id: int, payload: MessageIn):  # type: ignore[no-untyped-def]
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    message, created = services.message_create(
        conversation=conversation,
        sender_type="operator",
        body=payload.body,
        client_id=payload.client_id,
        sender_user=request.user,
        attachment_ids=payload.attachment_ids,
    )
    return (201 if created else 200), message_payload(message)


@router.post("/{conversation_id}/attachments", response=answers({201: dict}, *ANY, 422))
def attachment_upload(
    request: AuthenticatedRequest,
    conversation_id: int,  # type: ignore[no-untyped-def]
    file: UploadedFile = File(...),
):
    """Operators send files too; send it with the next message's attachment_ids."""
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    attachment = attachments.attachment_upload(
        conversation=conversation, inbox=conversation.inbox, upload=file, uploaded_by="operator"
    )
    return 201, attachments.attachment_payload(attachment)


@router.post("/{conversation_id}/receipts", response=answers(OK, *ANY, 422))
def receipts(
    request: AuthenticatedRequest, conversation_id: int, payload: ReceiptsIn
) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    conversation = services.operator_receipts_mark(
        conversation=conversation,
        user=request.user,
        delivered_seq=payload.delivered_seq,
        read_seq=payload.read_seq,
    )
    return conversation_payload(conversation)


@router.post("/{conversation_id}/close", response=answers(OK, *ANY, 422))
def close(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    return conversation_payload(
        services.conversation_close(conversation=conversation, actor=request.user)
    )


@router.post("/{conversation_id}/reopen", response=answers(OK, *ANY, 422))
def reopen(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    return conversation_payload(
        services.conversation_reopen(conversation=conversation, actor=request.user)
    )


@router.post("/{conversation_id}/open", response=answers(OK, *ANY, 422))
def open_(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    """The operator looks at the dialog; for its assignee this stops the escalation timer."""
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    routing.conversation_opened(conversation=conversation, user=request.user)
    return conversation_payload(conversation)


class TransferIn(Schema):
    branch_id: int
    operator_id: int | None = None
    note: str = ""


@router.post("/{conversation_id}/transfer", response=answers(OK, *ANY, 422))
def transfer(
    request: AuthenticatedRequest, conversation_id: int, payload: TransferIn
) -> dict[str, Any]:
    """Pass to another branch: its first free operator, or the operator chosen."""
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    branch = get_object_or_404(Branch, pk=payload.branch_id)
    operator = (
        get_object_or_404(User, pk=payload.operator_id) if payload.operator_id is not None else None
    )
    conversation = routing.conversation_transfer(
        conversation=conversation,
        actor=request.user,
        branch=branch,
        operator=operator,
        note=payload.note,
    )
    return conversation_payload(conversation)


@router.get("/{conversation_id}/assignments", response=answers({200: list}, *ANY, 422))
def assignment_history(request: AuthenticatedRequest, conversation_id: int) -> list[dict[str, Any]]:
    """Every assignment change with who and why (routing, escalation, transfer, manual)."""
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    return [
        {
            "assignee": a.assignee.full_name if a.assignee else None,
            "branch": a.branch.name if a.branch else None,
            "reason": a.reason,
            "reason_label": a.get_reason_display(),
            "actor": a.actor.full_name if a.actor else None,
            "note": a.note_display(),
            "created_at": a.created_at.isoformat(),
        }
        for a in conversation.assignments.select_related("assignee", "branch", "actor")
    ]


@router.post("/{conversation_id}/take", response=answers(OK, *ANY, 422))
def take(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    return conversation_payload(
        services.conversation_take(conversation=conversation, user=request.user)
    )


@router.post("/{conversation_id}/end-visitor-sessions", response=answers(OK, *ANY, 422))
def end_visitor_sessions(request: AuthenticatedRequest, conversation_id: int) -> dict[str, Any]:
    """End every session of the dialog's visitor (supervisors and admins): their tokens stop
    working and their open sockets close; their next visit starts as a new visitor."""
    feature_ensure(request.tenant, "supervision")
    conversation = selectors.conversation_for_user(user=request.user, pk=conversation_id)
    visitor_sessions_end(contact=conversation.contact, actor=request.user)
    return conversation_payload(conversation)


status_router = Router(tags=["routing"])


class StatusIn(Schema):
    status: str


@status_router.post("/status", response=answers(OK, *ANY, 422))
def status_set(request: AuthenticatedRequest, payload: StatusIn) -> dict[str, Any]:
    """The operator's own status: online, away, busy or offline (roadmap item 16)."""
    user = routing.operator_status_set(user=request.user, status=payload.status)
    return {"status": user.status}


@status_router.get("/branches/{branch_id}/operators", response=answers({200: list}, *ANY, 422))
def branch_operators(request: AuthenticatedRequest, branch_id: int) -> list[dict[str, Any]]:
    """A branch's operators with status and load, for the transfer dialog."""
    return routing.transfer_targets(get_object_or_404(Branch, pk=branch_id, is_active=True))
