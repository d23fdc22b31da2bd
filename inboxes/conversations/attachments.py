"""Attachments: checked by content against the inbox's limits, stored through Django's storage
API, served only through short-lived signed links.

A file is an image only if Pillow decodes it as PNG, JPEG, GIF or WebP; everything else is
served as a download (`Content-Disposition: attachment`, `nosniff`), so an SVG or HTML file
can never run in our origin.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import filetype
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from inboxes.models import Attachment, Conversation, Inbox
from messenger.schema import current_schema

SIGNING_SALT = "messenger.attachment"
LINK_TTL_SECONDS = 15 * 60
RASTER_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}
KINDS: dict[str, set[str]] = {
    "image": set(RASTER_FORMATS.values()),
    "pdf": {"application/pdf"},
    "office": {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.oasis.opendocument.text",
    },
    "text": {"text/plain", "text/csv"},
    "archive": {"application/zip", "application/x-7z-compressed", "application/gzip"},
}
Image.MAX_IMAGE_PIXELS = 50_000_000  # decompression bombs are refused


@dataclass(frozen=True)
class Detected:
    content_type: str
    is_image: bool
    width: int | None = None
    height: int | None = None


def name_sanitize(name: str) -> str:
    """A display name without path parts, control characters or odd spacing."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    return name[:150] or "file"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text and not re.search(
        r"<\s*(html|svg|script|!doctype)", text[:512], re.IGNORECASE
    )


def content_detect(data: bytes) -> Detected | None:
    """What the bytes are; None when unknown or not allowed anywhere."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image.load()
        if image_format in RASTER_FORMATS:
            return Detected(RASTER_FORMATS[image_format], True, width, height)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        pass
    kind = filetype.guess(data)
    if kind is not None:
        if kind.mime.startswith("image/"):
            return None  # an image Pillow could not decode, or a non-raster one
        return Detected(kind.mime, False)
    if _looks_like_text(data[:4096]):
        return Detected("text/plain", False)
    return None


def attachment_upload(
    *, conversation: Conversation, inbox: Inbox, upload: UploadedFile, uploaded_by: str
) -> Attachment:
    """Check the file by content against the inbox's size and type limits, then store it."""
    limit = inbox.attachment_max_mb * 1024 * 1024
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": inbox.attachment_max_mb}]}
        )
    if upload.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    data = upload.read()
    detected = content_detect(data)
    allowed = set().union(*(KINDS.get(kind, set()) for kind in inbox.attachment_kinds))
    if detected is None or detected.content_type not in allowed:
        raise ValidationError({"file": [_("This type of file is not accepted here.")]})
    upload.seek(0)
    attachment = Attachment(
        conversation=conversation,
        uploaded_by=uploaded_by,
        name=name_sanitize(upload.name or ""),
        size=len(data),
        content_type=detected.content_type,
        is_image=detected.is_image,
        width=detected.width,
        height=detected.height,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    return attachment


def attachment_link(attachment: Attachment) -> str:
    token = signing.dumps({"s": current_schema(), "a": attachment.pk}, salt=SIGNING_SALT)
    return reverse("attachment-file", args=[token])


def attachment_for_token(token: str) -> tuple[str, int] | None:
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=LINK_TTL_SECONDS)
        return str(data["s"]), int(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def attachment_payload(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "is_image": attachment.is_image,
        "width": attachment.width,
        "height": attachment.height,
        "url": attachment_link(attachment),
    }
