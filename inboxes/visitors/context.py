"""Resolving a widget request to its company, inbox and contact — never from the Host header.

The public key (or the visitor token) names the company through the public routing table;
the company's schema is then activated and the inbox's domain allowlist checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from inboxes.models import Contact, Inbox
from inboxes.visitors.blocked import blocked_origin_record
from inboxes.visitors.origins import domain_allowed, host_of, request_site_host
from inboxes.visitors.tickets import ticket_redeem
from inboxes.visitors.tokens import VisitorClaims, visitor_token_read
from messenger.schema import schema_activate_public, tenant_activate
from tenants.companies.models import Company, WidgetKeyRoute


class WidgetError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class VisitorContext:
    company: Company
    inbox: Inbox
    contact: Contact


def _activate(company: Company | None) -> Company:
    if company is None:
        raise WidgetError(404, _("Unknown inbox."))
    if company.is_suspended:
        raise WidgetError(403, _("This chat is temporarily unavailable."))
    tenant_activate(company)
    return company


def _check_origin(inbox: Inbox, headers: Mapping[str, str]) -> None:
    """The page using the chat must be on an allowed domain. Our own widget frame (served
    with `frame-ancestors` = the allowlist, so only allowed sites can show it) declares the
    page it is embedded in with `X-Widget-Site`, which must be allowed too."""
    host = request_site_host(headers)
    declared = headers.get("X-Widget-Site", "") or ""
    # Without the header (a WebSocket or EventSource cannot send one; a page of our own on the
    # base host, like /demo/) the base host itself is the site, checked like any other.
    if host == settings.BASE_HOST and declared:
        host = host_of(declared)
    if not domain_allowed(host, inbox.allowed_domains):
        blocked_origin_record(inbox_id=inbox.pk, host=host)
        raise WidgetError(403, _("This website is not allowed to use this chat."))


def inbox_for_key(public_key: str, headers: Mapping[str, str]) -> tuple[Company, Inbox]:
    """Company and active inbox of a public key, with the request's origin checked."""
    schema_activate_public()
    route = (
        WidgetKeyRoute.objects.select_related("company").filter(public_key=public_key or "").first()
    )
    company = _activate(route.company if route else None)
    inbox = Inbox.objects.filter(public_key=public_key, is_active=True).first()
    if inbox is None:
        raise WidgetError(404, _("Unknown inbox."))
    _check_origin(inbox, headers)
    return company, inbox


def token_still_valid(claims: VisitorClaims, contact: Contact) -> bool:
    """False for a token issued before the contact's sessions were ended."""
    ended = contact.sessions_ended_at
    return ended is None or claims.issued_at > ended.timestamp()


def visitor_for_claims(claims: VisitorClaims | None, headers: Mapping[str, str]) -> VisitorContext:
    if claims is None:
        raise WidgetError(401, _("Your chat session has expired; reload the page."))
    schema_activate_public()
    company = _activate(Company.objects.filter(schema_name=claims.schema_name).first())
    inbox = Inbox.objects.filter(pk=claims.inbox_id, is_active=True).first()
    contact = Contact.objects.filter(pk=claims.contact_id).first()
    if inbox is None or contact is None:
        raise WidgetError(404, _("Unknown inbox."))
    if not token_still_valid(claims, contact):
        raise WidgetError(401, _("Your chat session has expired; reload the page."))
    _check_origin(inbox, headers)
    return VisitorContext(company=company, inbox=inbox, contact=contact)


def visitor_for_token(token: str, headers: Mapping[str, str]) -> VisitorContext:
    return visitor_for_claims(visitor_token_read(token), headers)


def visitor_for_ticket(ticket: str, headers: Mapping[str, str]) -> VisitorContext:
    """The visitor a one-time socket/stream ticket stands for; the ticket is spent."""
    return visitor_for_token(ticket_redeem(ticket), headers)
