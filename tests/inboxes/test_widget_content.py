"""Widget content: Markdown rendered safely, attachments checked by content and served by
signed link, ratings once after close, identify, blocked origins."""

from __future__ import annotations

import hashlib
import hmac
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context
from PIL import Image

from inboxes.conversations.attachments import name_sanitize
from inboxes.models import Attachment, Contact, Conversation, Inbox
from inboxes.visitors.blocked import blocked_origins
from tests.inboxes.conftest import ORIGIN, visitor_session

pytestmark = pytest.mark.django_db


def png_bytes(size: tuple[int, int] = (4, 3)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def upload(visitor, conversation_id: int, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return visitor.client.post(
        f"/widget/v1/conversations/{conversation_id}/attachments",
        {"file": SimpleUploadedFile(name, data)},
        HTTP_ORIGIN=ORIGIN,
        HTTP_AUTHORIZATION=f"Bearer {visitor.token}",
        HTTP_X_WIDGET_LANG="en",
    )


def test_markdown_is_rendered_to_safe_html_and_the_text_kept(visitor):
    conversation_id = visitor.start()
    body = "**bold** _it_ `code` [site](https://example.com) [x](javascript:alert(1)) <b>raw</b> 😀"
    message = visitor.send(conversation_id, body).json()
    assert message["body"] == body
    html = message["body_html"]
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert '<a href="https://example.com" target="_blank" rel="noopener nofollow">site</a>' in html
    assert "javascript:" not in html.replace("[x](javascript:alert(1))", "")
    assert "&lt;b&gt;raw&lt;/b&gt;" in html and "😀" in html


def test_an_image_is_accepted_with_its_size_and_shown_by_a_signed_link(visitor):
    conversation_id = visitor.start()
    response = upload(visitor, conversation_id, "screenshot.png", png_bytes((40, 30)))
    assert response.status_code == 201, response.content
    attachment = response.json()
    assert (attachment["is_image"], attachment["width"], attachment["height"]) == (True, 40, 30)
    sent = visitor.call(
        "post",
        f"/conversations/{conversation_id}/messages",
        {"body": "", "client_id": str(uuid.uuid4()), "attachment_ids": [attachment["id"]]},
    )
    assert sent.status_code == 201
    assert sent.json()["attachments"][0]["name"] == "screenshot.png"
    served = Client().get(attachment["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in served.get("Content-Disposition", "")


def test_an_oversize_file_is_refused_with_a_clear_message_and_nothing_stored(acme, visitor):
    conversation_id = visitor.start()
    with schema_context("co_acme"):
        Inbox.objects.update(attachment_max_mb=1)
    response = upload(visitor, conversation_id, "big.pdf", b"%PDF-1.4\n" + b"0" * 1_100_000)
    assert response.status_code == 422
    assert response.json()["detail"]["file"] == ["The file is larger than 1 MB."]
    with schema_context("co_acme"):
        assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),  # an .exe
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("fake.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50),
    ],
)
def test_disguised_executables_svg_html_and_broken_images_are_refused(acme, visitor, name, data):
    response = upload(visitor, visitor.start(), name, data)
    assert response.status_code == 422
    assert response.json()["detail"]["file"] == ["This type of file is not accepted here."]
    with schema_context("co_acme"):
        assert not Attachment.objects.exists()


def test_a_pdf_is_served_as_a_download_never_inline(visitor):
    attachment = upload(
        visitor, visitor.start(), "invoice.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
    ).json()
    served = Client().get(attachment["url"])
    assert served["Content-Disposition"].startswith("attachment;")
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("bad\x00na\x1bme\u202e.png", "badname.png"),
        ("   ", "file"),
    ],
)
def test_file_names_lose_path_parts_and_control_characters(raw, clean):
    assert name_sanitize(raw) == clean


def test_a_forged_or_expired_file_link_is_404(visitor, monkeypatch):
    attachment = upload(visitor, visitor.start(), "a.png", png_bytes()).json()
    assert Client().get(attachment["url"][:-4] + "abc/").status_code == 404
    monkeypatch.setattr("inboxes.conversations.attachments.LINK_TTL_SECONDS", -1)
    assert Client().get(attachment["url"]).status_code == 404


def test_a_visitor_cannot_send_another_conversations_file(inbox, visitor):
    other = visitor_session(inbox.public_key)
    foreign = upload(other, other.start(), "a.png", png_bytes()).json()
    response = visitor.call(
        "post",
        f"/conversations/{visitor.start()}/messages",
        {"body": "look", "client_id": str(uuid.uuid4()), "attachment_ids": [foreign["id"]]},
    )
    assert response.status_code == 422
    assert "attachments" in response.json()["detail"]


def test_rating_is_taken_once_after_close_on_the_inbox_scale(acme, visitor):
    conversation_id = visitor.start()
    early = visitor.call("post", f"/conversations/{conversation_id}/rating", {"score": 5})
    assert early.status_code == 422
    with schema_context("co_acme"):
        Conversation.objects.filter(pk=conversation_id).update(status="closed")
    assert (
        visitor.call("post", f"/conversations/{conversation_id}/rating", {"score": 6}).status_code
        == 422
    )
    ok = visitor.call(
        "post", f"/conversations/{conversation_id}/rating", {"score": 4, "comment": "Quick answer"}
    )
    assert ok.json()["rating"]["score"] == 4
    again = visitor.call("post", f"/conversations/{conversation_id}/rating", {"score": 5})
    assert again.json()["detail"]["score"] == ["This conversation is already rated."]
    panel = acme.login().get(f"/api/v1/conversations/{conversation_id}").json()
    assert panel["rating"] == {
        "scale": "stars",
        "score": 4,
        "comment": "Quick answer",
        "rated_at": panel["rating"]["rated_at"],
    }


def test_nps_scale_takes_zero_to_ten(acme, visitor):
    conversation_id = visitor.start()
    with schema_context("co_acme"):
        Inbox.objects.update(rating_scale="nps")
        Conversation.objects.filter(pk=conversation_id).update(status="closed")
    assert (
        visitor.call("post", f"/conversations/{conversation_id}/rating", {"score": 0}).status_code
        == 200
    )


def test_unverified_identify_never_takes_over_an_existing_contact(acme, inbox, visitor):
    with schema_context("co_acme"):
        owner = Contact.objects.create(external_id="user-42", email="real@example.com")
    response = visitor.call(
        "post", "/identify", {"user_id": "user-42", "user_hash": "forged", "name": "Mallory"}
    )
    assert response.status_code == 422
    plain = visitor.call("post", "/identify", {"name": "Mallory", "email": "m@example.com"})
    assert plain.json()["contact"]["id"] != owner.pk


def test_verified_identify_moves_the_session_to_the_known_contact(acme, inbox, visitor):
    with schema_context("co_acme"):
        owner = Contact.objects.create(external_id="user-42", email="real@example.com")
        secret = Inbox.objects.get(pk=inbox.pk).identity_secret
    signature = hmac.new(secret.encode(), b"user-42", hashlib.sha256).hexdigest()
    response = visitor.call("post", "/identify", {"user_id": "user-42", "user_hash": signature})
    assert response.json()["contact"]["id"] == owner.pk


def test_a_blocked_origin_is_remembered_for_the_inbox_settings(acme, inbox):
    Client(HTTP_HOST="localhost").get(
        f"/widget/v1/inboxes/{inbox.public_key}/config", HTTP_ORIGIN="https://evil.test"
    )
    with schema_context("co_acme"):
        assert next(host for host, _ in blocked_origins(inbox_id=inbox.pk)) == "evil.test"


def test_the_chat_frame_is_only_framed_by_allowed_sites(inbox):
    client = Client(HTTP_HOST="localhost")
    ok = client.get(
        f"/widget/frame/{inbox.public_key}/", HTTP_REFERER="https://shop.example.com/catalog"
    )
    assert ok.status_code == 200
    policy = ok["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example.com http://shop.example.com" in policy
    assert "https://*.example.org" in policy
    assert "X-Frame-Options" not in ok
    foreign = client.get(f"/widget/frame/{inbox.public_key}/", HTTP_REFERER="https://evil.test/")
    assert foreign.status_code == 403


def test_the_frame_declares_its_site_and_the_api_checks_it(inbox):
    client = Client(HTTP_HOST="localhost")
    allowed = client.post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        data={},
        content_type="application/json",
        HTTP_ORIGIN="http://localhost",
        HTTP_X_WIDGET_SITE="https://shop.example.com",
    )
    assert allowed.status_code == 200
    spoofed = client.post(
        f"/widget/v1/inboxes/{inbox.public_key}/sessions",
        data={},
        content_type="application/json",
        HTTP_ORIGIN="http://localhost",
        HTTP_X_WIDGET_SITE="https://evil.test",
    )
    assert spoofed.status_code == 403


PLAIN_AND_TRICKY = [
    "Hello",
    "Где мой заказ?",
    "Price: $5, 10% off!",
    "it's (maybe) fine",
    "«Ёлки» — „да“ … ok",
    "mail me at a@b.c, see https://example.com/x?y",
    "x  y",
    "10.5 kg",
    "-5 degrees",
    "a - b",
    "---",
    "--",
    "1. first",
    "1) first",
    "- item",
    "2024. year",
    "-",
    "1.",
    "**bold** and _it_",
    "<b>not html</b> & co",
    "line one\nline two",
    "`code`",
    "[link](https://x.test)",
    "> quote",
    "~~gone~~",
    '"quoted"',
]


@pytest.mark.parametrize("text", PLAIN_AND_TRICKY)
def test_plain_text_shortcut_renders_exactly_as_the_full_markdown_pipeline(text):
    from inboxes.conversations import formatting

    full = formatting.nh3.clean(
        formatting._markdown().render(text),
        tags=formatting.ALLOWED_TAGS,
        attributes=formatting.ALLOWED_ATTRIBUTES,
        url_schemes=formatting.URL_SCHEMES,
        link_rel="noopener nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()
    assert formatting.markdown_render(text) == full
