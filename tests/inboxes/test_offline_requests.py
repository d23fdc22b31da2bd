"""Offline requests: the contact checked and normalised, errors in the widget's language, and
the people who follow a request up emailed through a real SMTP server on loopback."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django_tenants.utils import schema_context

from inboxes.models import Conversation
from tenants.accounts.models import User
from tenants.companies.models import Company
from tenants.organization.models import Branch, BranchMembership
from tests.conftest import OPERATOR_EMAIL

pytestmark = pytest.mark.django_db


class Mailbox:
    """Collects what the SMTP server on loopback receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

    def to(self, address: str) -> EmailMessage:
        return next(m for m in self.messages if m["To"] == address)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Mailbox]:  # type: ignore[no-untyped-def]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    try:
        yield mailbox
    finally:
        controller.stop()


def _request(visitor, contact: str = "ann@example.com", **headers: str):  # type: ignore[no-untyped-def]
    return visitor.call(
        "post",
        "/requests",
        {
            "name": "Ann",
            "contact": contact,
            "body": "Call me <b>back</b>",
            "client_id": str(uuid.uuid4()),
        },
        **headers,
    )


def body_of(message: EmailMessage) -> str:
    return message.get_content()  # type: ignore[no-any-return]


def test_a_request_emails_its_branch_operators_each_in_their_own_language(
    acme, visitor, smtp, django_capture_on_commit_callbacks
):
    with schema_context("co_acme"):
        north = Branch.objects.get(name="North")  # Olga's branch, made the one requests land in
        Branch.objects.update(is_default=False)
        Branch.objects.filter(pk=north.pk).update(is_default=True)
        User.objects.filter(email=OPERATOR_EMAIL).update(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(visitor)
    assert response.status_code == 201
    conversation_id = response.json()["id"]
    with schema_context("co_acme"):
        assert Conversation.objects.get(pk=conversation_id).branch_id == north.pk
    [message] = smtp.wait_for(1)
    assert message["To"] == OPERATOR_EMAIL  # the admin is not in North: not emailed
    assert message["Subject"] == "Новая заявка в «Website»"
    text = body_of(message)
    assert "Посетитель оставил заявку в «Website»" in text
    assert "Имя: Ann" in text and "Эл. почта: ann@example.com" in text
    assert "Call me <b>back</b>" in text  # plain text, the visitor's words as they were
    assert f"http://{acme.host}" in text or f"https://{acme.host}" in text
    assert f"/dialogs/?c={conversation_id}" in text


def test_a_request_with_nobody_in_its_branch_emails_the_admins_in_the_company_language(
    acme, visitor, smtp, django_capture_on_commit_callbacks
):
    Company.objects.filter(pk=acme.company.pk).update(language="ru")
    with schema_context("co_acme"):
        BranchMembership.objects.filter(branch__is_default=True).delete()
        User.objects.filter(email=acme.admin_email).update(language="")
    with django_capture_on_commit_callbacks(execute=True):
        response = _request(visitor, contact="8 (912) 345-67-89")
    assert response.status_code == 201
    [message] = smtp.wait_for(1)
    assert message["To"] == acme.admin_email
    assert message["Subject"].startswith("Новая заявка")
    assert "Телефон: +79123456789" in body_of(message)
    assert f"/dialogs/?c={response.json()['id']}" in body_of(message)


def test_an_english_speaking_admin_gets_the_email_in_english(
    acme, visitor, smtp, django_capture_on_commit_callbacks
):
    with schema_context("co_acme"):
        BranchMembership.objects.filter(branch__is_default=True).delete()
        User.objects.filter(email=acme.admin_email).update(language="en")
    Company.objects.filter(pk=acme.company.pk).update(language="ru")
    with django_capture_on_commit_callbacks(execute=True):
        assert _request(visitor).status_code == 201
    [message] = smtp.wait_for(1)
    assert message["Subject"] == "New request in Website"
    assert "Open the request:" in body_of(message)


def test_an_internationalised_email_address_is_accepted(visitor):
    response = _request(visitor, contact="ёжик@пример.рф")
    assert response.status_code == 201, response.content
    with schema_context("co_acme"):
        contact = Conversation.objects.get(pk=response.json()["id"]).contact
        assert contact.email == "ёжик@пример.рф" and contact.phone == ""


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("8 (912) 345-67-89", "+79123456789"),
        ("+7 912 345 67 89", "+79123456789"),
        ("9123456789", "+79123456789"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_a_phone_number_is_stored_in_e164(visitor, given, stored):
    response = _request(visitor, contact=given)
    assert response.status_code == 201, response.content
    with schema_context("co_acme"):
        contact = Conversation.objects.get(pk=response.json()["id"]).contact
        assert contact.phone == stored and contact.email == ""


@pytest.mark.parametrize(
    ("contact", "english", "russian"),
    [
        ("12345", "Enter a valid phone number.", "Введите корректный номер телефона."),
        ("ann@", "Enter a valid email address.", "Введите корректный адрес эл. почты."),
        ("ann@@example.com", "Enter a valid email address.", "Введите корректный адрес эл. почты."),
    ],
)
def test_a_bad_contact_is_refused_in_the_widgets_language_not_the_browsers(
    visitor, contact, english, russian
):
    ru = _request(visitor, contact=contact, HTTP_X_WIDGET_LANG="ru", HTTP_ACCEPT_LANGUAGE="en")
    assert ru.status_code == 422
    assert ru.json()["detail"] == {"contact": [russian]}
    en = _request(visitor, contact=contact, HTTP_X_WIDGET_LANG="en", HTTP_ACCEPT_LANGUAGE="ru")
    assert en.json()["detail"] == {"contact": [english]}
    with schema_context("co_acme"):
        assert not Conversation.objects.filter(is_request=True).exists()


def test_without_the_widgets_header_errors_are_in_the_inboxs_language(visitor):
    # The inbox speaks Russian (its default); the browser asks for English.
    response = _request(visitor, contact="12345", HTTP_X_WIDGET_LANG="", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == {"contact": ["Введите корректный номер телефона."]}


def test_every_bad_field_of_a_request_is_named_at_once(visitor):
    response = visitor.call(
        "post",
        "/requests",
        {"name": "A", "contact": "12345", "body": " ", "client_id": str(uuid.uuid4())},
        HTTP_X_WIDGET_LANG="en",
    )
    assert response.status_code == 422
    assert set(response.json()["detail"]) == {"contact", "body"}


def test_a_message_over_the_limit_is_refused_in_the_widgets_language(visitor):
    conversation_id = visitor.start()
    response = visitor.call(
        "post",
        f"/conversations/{conversation_id}/messages",
        {"body": "я" * 10_001, "client_id": str(uuid.uuid4())},
        HTTP_X_WIDGET_LANG="ru",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "body": ["Сообщение слишком длинное: максимум 10000 симв."]
    }
    with schema_context("co_acme"):
        assert not Conversation.objects.get(pk=conversation_id).messages.exists()


def test_the_widgets_language_header_is_allowed_cross_origin(visitor):
    response = visitor.client.options(
        "/widget/v1/requests",
        HTTP_ORIGIN="https://shop.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-widget-lang",
    )
    assert "X-Widget-Lang" in response["Access-Control-Allow-Headers"]
