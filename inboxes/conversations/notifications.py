"""Emails about offline requests: who follows a request up, and the email each of them gets.

A request routed to a branch with active members goes to them (the branch's operators, as
routing counts them); otherwise to the company's admins. Each person gets their own plain-text
email in their language (the company's when they chose none) with a link to the request in the
panel. The visitor's words are quoted as plain text, never as HTML.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from inboxes.models import Conversation
from messenger.i18n import LANGUAGE_CODES
from messenger.schema import current_schema
from messenger.tenancy import company_url
from tenants.accounts.models import User
from tenants.companies.models import Company


def offline_request_recipients(conversation: Conversation) -> list[User]:
    """Who is emailed about a request: its branch's active members, else the active admins."""
    people = User.objects.filter(is_active=True).order_by("pk")
    if conversation.branch_id is not None:
        members = list(people.filter(branches=conversation.branch_id))
        if members:
            return members
    return list(people.filter(role=User.Role.ADMIN))


def offline_request_url(company: Company, conversation: Conversation) -> str:
    """The request in the company's panel (the dialogs page opens `?c=<id>`)."""
    return company_url(company, f"/dialogs/?c={conversation.pk}")


def offline_request_email_send(*, conversation_id: int, user_id: int) -> bool:
    """Email one person about a request; False when the request or the person is gone."""
    conversation = (
        Conversation.objects.select_related("inbox", "contact")
        .filter(pk=conversation_id, is_request=True)
        .first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if conversation is None or user is None:
        return False
    company = Company.objects.get(schema_name=current_schema())
    first = conversation.messages.filter(sender_type="visitor").order_by("seq").first()
    contact = conversation.contact
    language = user.language if user.language in LANGUAGE_CODES else company.language
    with translation.override(language):
        context = {
            "company": company,
            "inbox": conversation.inbox,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "text": first.body if first is not None else "",
            "url": offline_request_url(company, conversation),
        }
        subject = _("New request in %(inbox)s") % {"inbox": conversation.inbox.name}
        body = render_to_string("inboxes/email/offline_request.txt", context)
    # A header never carries a line break, whatever the inbox's name holds.
    subject = " ".join(subject.split())
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
