"""The demo page: a plain page of a pretend customer site with the demo company's chat on it
(development and end-to-end tests only, `DEMO_PAGE`)."""

from __future__ import annotations

import re

from csp.decorators import csp_exempt
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django_tenants.utils import schema_context

from inboxes.installation import embed_snippet
from inboxes.models import Inbox
from messenger.schema import schema_activate_public
from tenants.companies.models import Company

DEMO_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


@csp_exempt()  # a pretend customer site, with the customer's own inline styles
def demo_page_view(request: HttpRequest) -> HttpResponse:
    """A plain page of a pretend customer site with the demo company's chat on it, embedded
    with the very snippet the inbox's installation page gives customers (`loader.js`, which
    opens the chat frame with the shipping widget).

    Development and end-to-end tests only (DEMO_PAGE): in production it would tell anyone a
    company's widget key. It shows the `demo` company's first inbox, or the `?key=` given."""
    if not settings.DEMO_PAGE:
        raise Http404
    inbox = None
    company = Company.objects.filter(slug="demo").first()
    if company is not None:
        with schema_context(company.schema_name):
            inbox = Inbox.objects.filter(is_active=True).order_by("pk").first()
        schema_activate_public()
    key = request.GET.get("key", "")
    if DEMO_KEY.fullmatch(key):
        inbox = Inbox(public_key=key)  # only its key goes into the snippet
    # The snippet is markup of our own; the only outside value in it, a key, is checked above.
    snippet = mark_safe(embed_snippet(inbox)) if inbox is not None else ""  # noqa: S308
    return render(request, "companies/demo_page.html", {"snippet": snippet})
