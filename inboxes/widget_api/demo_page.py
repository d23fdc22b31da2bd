"""The demo page: a plain page of a pretend customer site with the demo company's chat on it
(development and end-to-end tests only, `DEMO_PAGE`)."""

from __future__ import annotations

from csp.decorators import csp_exempt
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.utils import schema_context

from inboxes.models import Inbox
from messenger.schema import schema_activate_public
from tenants.companies.models import Company


@csp_exempt()  # a pretend customer site, with the customer's own inline styles
def demo_page_view(request: HttpRequest) -> HttpResponse:
    """A plain page of a pretend customer site with the demo company's chat on it.

    Development and end-to-end tests only (DEMO_PAGE): in production it would tell anyone a
    company's widget key. It shows the `demo` company's first inbox, or the `?key=` given."""
    if not settings.DEMO_PAGE:
        raise Http404
    company = Company.objects.filter(slug="demo").first()
    public_key = ""
    if company is not None:
        with schema_context(company.schema_name):
            inbox = Inbox.objects.filter(is_active=True).order_by("pk").first()
            public_key = inbox.public_key if inbox else ""
        schema_activate_public()
    return render(
        request, "companies/demo_page.html", {"public_key": request.GET.get("key", public_key)}
    )
