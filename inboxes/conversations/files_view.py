"""Serving attachments by signed link: the link is the permission, and it expires."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django_tenants.utils import schema_context

from inboxes.conversations.attachments import attachment_for_token
from inboxes.models import Attachment
from tenants.companies.models import Company


def attachment_file_view(request: HttpRequest, token: str) -> HttpResponseBase:
    found = attachment_for_token(token)
    if found is None:
        raise Http404
    schema_name, attachment_id = found
    if not Company.objects.filter(schema_name=schema_name).exclude(status="suspended").exists():
        raise Http404
    with schema_context(schema_name):
        attachment = Attachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        response = FileResponse(
            attachment.file.open("rb"),
            content_type=attachment.content_type,
            as_attachment=not attachment.is_image,
            filename=attachment.name,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
