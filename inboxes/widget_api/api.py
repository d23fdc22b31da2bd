"""Widget API v1 (django-ninja; OpenAPI at /widget/v1/docs). Thin: resolve, call a service,
serialise. The company comes from the public key or the visitor token, never the Host."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import File, NinjaAPI, Query, Schema, UploadedFile
from ninja.security import HttpBearer

from inboxes.conversations import attachments, ratings, selectors, services
from inboxes.conversations.payloads import (
    contact_payload,
    message_payload,
    visitor_conversation_payload,
)
from inboxes.conversations.schemas import MessageIn
from inboxes.conversations.selectors import PAGE_MAX
from inboxes.installation import install_seen
from inboxes.models import Contact, Conversation, Inbox
from inboxes.routing.services import availability
from inboxes.visitors import ratelimits
from inboxes.visitors.context import (
    VisitorContext,
    WidgetError,
    inbox_for_key,
    token_still_valid,
    visitor_for_token,
)
from inboxes.visitors.identity import visitor_identify
from inboxes.visitors.ratelimits import RateLimited
from inboxes.visitors.tickets import ticket_issue
from inboxes.visitors.tokens import visitor_token_make, visitor_token_read
from messenger.api_errors import answers
from messenger.geo import client_ip, geo_lookup
from messenger.i18n import LANGUAGE_CODES, widget_language
from messenger.tenancy import base_url
from messenger.unavailable import database_unavailable_response


def _inbox_language(request: HttpRequest, inbox: Inbox) -> None:
    """Answer in the inbox's language when the caller names none of its own (`X-Widget-Lang`,
    which the widget always sends): a visitor's browser never chooses it."""
    if not widget_language(request) and inbox.language in LANGUAGE_CODES:
        translation.activate(inbox.language)
        request.LANGUAGE_CODE = inbox.language


class VisitorBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> VisitorContext:
        ctx = visitor_for_token(token, request.headers)
        _inbox_language(request, ctx.inbox)
        return ctx


api = NinjaAPI(title="Messenger widget API", version="1", urls_namespace="widget-api")

OK = {200: dict}
# What any request may get: text PostgreSQL cannot store or an unreadable body (400), a
# suspended company or a site not on the inbox's allowlist (403), an unknown inbox or
# conversation (404), a body over its limit (413). With a visitor token also 401; with inputs
# (an id in the path too) also 422. Operations with a rate limit also 429.
ANY = (400, 403, 404, 413)
VISITOR = (*ANY, 401)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception):  # type: ignore[no-untyped-def]
    return database_unavailable_response(request, exc)


@api.exception_handler(WidgetError)
def widget_error(request: HttpRequest, exc: WidgetError):  # type: ignore[no-untyped-def]
    response = api.create_response(request, {"detail": exc.message}, status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):  # type: ignore[no-untyped-def]
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": detail}, status=422)


def _company_logo_url() -> str:
    """The logo of the company whose schema the request runs in (set from the widget key)."""
    company = getattr(connection, "tenant", None)
    if company is None or not getattr(company, "logo", None):
        return ""
    return base_url(company.logo_path)


def inbox_config(inbox: Inbox) -> dict[str, Any]:
    return {
        "name": inbox.name,
        "greeting": inbox.greeting,
        "language": inbox.language,
        "color": inbox.color,
        "position": inbox.position,
        "logo_url": _company_logo_url(),
        "load_mode": inbox.load_mode,
        "load_delay_seconds": inbox.load_delay_seconds,
        "rating_scale": inbox.rating_scale,
        "attachments": {"max_mb": inbox.attachment_max_mb, "kinds": inbox.attachment_kinds},
        "offline_title": {"ru": inbox.offline_title_ru, "en": inbox.offline_title_en},
        "offline_message": {"ru": inbox.offline_message_ru, "en": inbox.offline_message_en},
    }


class RequestIn(Schema):
    name: str = ""
    contact: str
    body: str
    client_id: uuid.UUID


class SessionIn(Schema):
    token: str | None = None
    page_url: str = ""


class ContactIn(Schema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


class RatingIn(Schema):
    score: int
    comment: str = ""


class IdentifyIn(Schema):
    name: str | None = None
    email: str | None = None
    user_id: str | None = None
    user_hash: str | None = None


class ReceiptsIn(Schema):
    delivered_seq: int | None = None
    read_seq: int | None = None


class TypingIn(Schema):
    is_typing: bool


def _visitor(request: HttpRequest) -> VisitorContext:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _conversation(ctx: VisitorContext, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("assignee")
        .filter(pk=conversation_id, contact=ctx.contact, inbox=ctx.inbox)
        .first()
    )
    if conversation is None:
        raise WidgetError(404, _("Unknown conversation."))
    return conversation


@api.get("/inboxes/{public_key}/config", auth=None, response=answers(OK, *ANY))
def config(request: HttpRequest, public_key: str) -> dict[str, Any]:
    _, inbox = inbox_for_key(public_key, request.headers)
    _inbox_language(request, inbox)
    # The loader asks from the customer's page: its allowed Origin is the install check.
    install_seen(inbox=inbox, origin=request.headers.get("Origin", ""))
    return inbox_config(inbox)


@api.post("/inboxes/{public_key}/sessions", auth=None, response=answers(OK, *ANY, 422, 429))
def session(request: HttpRequest, public_key: str, payload: SessionIn) -> dict[str, Any]:
    """Create a visitor session, or resume the one a still-valid token names."""
    company, inbox = inbox_for_key(public_key, request.headers)
    _inbox_language(request, inbox)
    claims = visitor_token_read(payload.token or "")
    contact = None
    if claims and claims.schema_name == company.schema_name and claims.inbox_id == inbox.pk:
        contact = Contact.objects.filter(pk=claims.contact_id).first()
        if contact is not None and not token_still_valid(claims, contact):
            contact = None  # that visitor's sessions were ended: this is a new visitor
    ip = client_ip(request)
    geo = geo_lookup(ip)
    if contact is None:
        ratelimits.session_admit(request)
        contact = services.contact_create(
            page_url=payload.page_url,
            ip=ip,
            geo=geo,
            user_agent=request.headers.get("User-Agent", ""),
        )
    else:
        services.contact_seen(contact=contact, page_url=payload.page_url, ip=ip, geo=geo)
    conversation = services.conversation_open_for(inbox=inbox, contact=contact)
    return {
        "availability": availability(geo=services.contact_geo(contact)),
        "token": visitor_token_make(
            schema_name=company.schema_name, inbox_id=inbox.pk, contact_id=contact.pk
        ),
        "contact": contact_payload(contact),
        "conversation": visitor_conversation_payload(conversation) if conversation else None,
        "inbox": inbox_config(inbox),
    }


@api.patch("/contact", auth=VisitorBearer(), response=answers(OK, *VISITOR, 422))
def contact_update(request: HttpRequest, payload: ContactIn) -> dict[str, Any]:
    ctx = _visitor(request)
    contact = services.contact_update(
        contact=ctx.contact, name=payload.name, email=payload.email, phone=payload.phone
    )
    return contact_payload(contact)


@api.post("/conversations", auth=VisitorBearer(), response=answers(OK, *VISITOR, 429))
def conversation_start(request: HttpRequest) -> dict[str, Any]:
    ctx = _visitor(request)
    ratelimits.conversation_admit(request, inbox=ctx.inbox, contact=ctx.contact)
    conversation, _created = services.conversation_start(inbox=ctx.inbox, contact=ctx.contact)
    return visitor_conversation_payload(conversation)


@api.get(
    "/conversations/{conversation_id}", auth=VisitorBearer(), response=answers(OK, *VISITOR, 422)
)
def conversation_get(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    return visitor_conversation_payload(_conversation(_visitor(request), conversation_id))


@api.get(
    "/conversations/{conversation_id}/messages",
    auth=VisitorBearer(),
    response=answers(OK, *VISITOR, 422),
)
def message_list(
    request: HttpRequest,
    conversation_id: int,
    after: int | None = None,
    before: int | None = None,
    limit: int = Query(50, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    conversation = _conversation(_visitor(request), conversation_id)
    page = selectors.message_page(
        conversation=conversation, after=after, before=before, limit=limit
    )
    return {
        "messages": [message_payload(m) for m in page],
        "conversation": visitor_conversation_payload(conversation),
    }


@api.post(
    "/conversations/{conversation_id}/messages",
    auth=VisitorBearer(),
    response=answers({200: dict, 201: dict}, *VISITOR, 422, 429),
)
def message_send(request: HttpRequest, conversation_id: int, payload: MessageIn):  # type: ignore[no-untyped-def]
    ctx = _visitor(request)
    conversation = _conversation(ctx, conversation_id)
    ratelimits.message_admit(request, contact=ctx.contact)
    message, created = services.message_create(
        conversation=conversation,
        sender_type="visitor",
        body=payload.body,
        client_id=payload.client_id,
        attachment_ids=payload.attachment_ids,
    )
    return (201 if created else 200), message_payload(message)


@api.post(
    "/conversations/{conversation_id}/attachments",
    auth=VisitorBearer(),
    response=answers({201: dict}, *VISITOR, 422),
)
def attachment_upload(
    request: HttpRequest,
    conversation_id: int,  # type: ignore[no-untyped-def]
    file: UploadedFile = File(...),
):
    """Upload a file (checked by content); send it with the next message's attachment_ids."""
    ctx = _visitor(request)
    conversation = _conversation(ctx, conversation_id)
    attachment = attachments.attachment_upload(
        conversation=conversation, inbox=ctx.inbox, upload=file, uploaded_by="visitor"
    )
    return 201, attachments.attachment_payload(attachment)


@api.post(
    "/conversations/{conversation_id}/rating",
    auth=VisitorBearer(),
    response=answers(OK, *VISITOR, 422),
)
def rate(request: HttpRequest, conversation_id: int, payload: RatingIn) -> dict[str, Any]:
    conversation = _conversation(_visitor(request), conversation_id)
    rated = ratings.conversation_rate(
        conversation=conversation, score=payload.score, comment=payload.comment
    )
    return visitor_conversation_payload(rated)


@api.post("/identify", auth=VisitorBearer(), response=answers(OK, *VISITOR, 422))
def identify(request: HttpRequest, payload: IdentifyIn) -> dict[str, Any]:
    """Name and email from the site; with a signed user id, the verified contact."""
    ctx = _visitor(request)
    contact = visitor_identify(
        inbox=ctx.inbox,
        contact=ctx.contact,
        name=payload.name,
        email=payload.email,
        user_id=payload.user_id,
        user_hash=payload.user_hash,
    )
    conversation = services.conversation_open_for(inbox=ctx.inbox, contact=contact)
    return {
        "token": visitor_token_make(
            schema_name=ctx.company.schema_name, inbox_id=ctx.inbox.pk, contact_id=contact.pk
        ),
        "contact": contact_payload(contact),
        "conversation": visitor_conversation_payload(conversation) if conversation else None,
    }


class TicketOut(Schema):
    ticket: str
    expires_in: int


@api.post("/tickets", auth=VisitorBearer(), response=answers({201: TicketOut}, *VISITOR))
def ticket(request: HttpRequest):  # type: ignore[no-untyped-def]
    """A one-time ticket that opens this visitor's socket (`/ws/widget/?ticket=`) or event
    stream (`/widget/v1/events?ticket=`), so the token itself never travels in a URL."""
    token = request.headers.get("Authorization", "").split(" ", 1)[-1].strip()
    return 201, {"ticket": ticket_issue(token), "expires_in": settings.WIDGET_TICKET_SECONDS}


@api.post(
    "/conversations/{conversation_id}/receipts",
    auth=VisitorBearer(),
    response=answers(OK, *VISITOR, 422),
)
def receipts(request: HttpRequest, conversation_id: int, payload: ReceiptsIn) -> dict[str, Any]:
    conversation = _conversation(_visitor(request), conversation_id)
    conversation = services.visitor_receipts_mark(
        conversation=conversation, delivered_seq=payload.delivered_seq, read_seq=payload.read_seq
    )
    return visitor_conversation_payload(conversation)


@api.post("/requests", auth=VisitorBearer(), response=answers({201: dict}, *VISITOR, 422, 429))
def offline_request(request: HttpRequest, payload: RequestIn):  # type: ignore[no-untyped-def]
    """Leave a request when nobody can chat (the offline form)."""
    ctx = _visitor(request)
    ratelimits.request_admit(request, contact=ctx.contact)
    conversation = services.offline_request_create(
        inbox=ctx.inbox,
        contact=ctx.contact,
        name=payload.name,
        contact_info=payload.contact,
        body=payload.body,
        client_id=payload.client_id,
    )
    return 201, visitor_conversation_payload(conversation)


@api.post(
    "/conversations/{conversation_id}/typing",
    auth=VisitorBearer(),
    response=answers(OK, *VISITOR, 422, 429),
)
def typing(request: HttpRequest, conversation_id: int, payload: TypingIn) -> dict[str, bool]:
    ctx = _visitor(request)
    conversation = _conversation(ctx, conversation_id)
    ratelimits.typing_admit(request, contact=ctx.contact)
    services.typing_signal(conversation=conversation, side="visitor", is_typing=payload.is_typing)
    return {"ok": True}
