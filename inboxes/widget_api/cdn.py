"""The widget's built files (widget-cdn/dist) and the chat frame page.

Hashed files are immutable; `loader.js` (the one name sites embed) is cached briefly. In
production the same files are uploaded to object storage behind a CDN (widget-cdn/README.md).
The frame page is what the loader puts in an iframe: its `frame-ancestors` is the inbox's
allowlist, so only allowed sites can show the chat.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from inboxes.installation import widget_cdn_url
from inboxes.manifests import built_files
from inboxes.models import Inbox
from inboxes.visitors.blocked import blocked_origin_record
from inboxes.visitors.context import WidgetError, inbox_for_key
from inboxes.visitors.origins import domain_allowed, host_of
from messenger.schema import schema_activate_public

LOADER = "loader.js"


def dist_dir() -> Path:
    return Path(settings.WIDGET_DIST_DIR)


def manifest() -> dict[str, str]:
    return built_files(dist_dir())


@require_GET
def cdn_file_view(request: HttpRequest, name: str) -> HttpResponseBase:
    if "/" in name or name.startswith("."):
        raise Http404
    path = dist_dir() / name
    if not path.is_file():
        raise Http404
    response = FileResponse(
        path.open("rb"), content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    if name == LOADER:
        # Sites embed this one name: a new release reaches them within minutes, and a stale
        # copy may serve while the fresh one is fetched.
        response["Cache-Control"] = "public, max-age=300, stale-while-revalidate=86400"
    else:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors(inbox: Inbox) -> str:
    sources = []
    for domain in inbox.allowed_domains:
        # Entries are host names, any port (as the API's Origin check): a source without a
        # port would match only the scheme's default one, so `:*` follows.
        sources += [
            f"https://{domain}",
            f"http://{domain}",
            f"https://{domain}:*",
            f"http://{domain}:*",
        ]
    return " ".join(sources) or "'none'"


@xframe_options_exempt  # frame-ancestors (the inbox's allowlist) governs framing here
@require_GET
def frame_view(request: HttpRequest, public_key: str) -> HttpResponse:
    """The chat's own page inside the site's iframe."""
    referer_host = host_of(request.headers.get("Referer", ""))
    try:
        # The frame request comes from the site page: its Referer must be allowed.
        _company, inbox = inbox_for_key(public_key, {"Referer": request.headers.get("Referer", "")})
    except WidgetError as exc:
        return HttpResponse(exc.message, status=exc.status, content_type="text/plain")
    finally:
        schema_activate_public()
    if not domain_allowed(referer_host, inbox.allowed_domains):
        blocked_origin_record(inbox_id=inbox.pk, host=referer_host)
        return HttpResponse(status=403)
    response = render(
        request,
        "widget/frame.html",
        {
            "public_key": public_key,
            "widget_js": manifest().get("widget.js", ""),
            "cdn": widget_cdn_url(),
            "language": request.GET.get("lang") or inbox.language,
        },
    )
    response["Content-Security-Policy"] = (
        f"frame-ancestors {frame_ancestors(inbox)}; default-src 'self'; "
        "img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        f"connect-src 'self' ws: wss:; script-src 'self' {_origin(widget_cdn_url())}; "
        "base-uri 'none'; form-action 'none'"
    )
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response
