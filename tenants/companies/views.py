"""Base-host pages: the landing page and self-service signup."""

from __future__ import annotations

from csp.decorators import csp_exempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from messenger.tenancy import company_url
from tenants.accounts import ratelimits
from tenants.accounts.handoff import handoff_token_make
from tenants.companies.forms import SignupForm
from tenants.companies.services import company_signup


def landing_view(request: HttpRequest) -> HttpResponse:
    return render(request, "companies/landing.html")


@ratelimits.signup_limit
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignupForm(request.POST)
        if ratelimits.limited(request):
            form.add_error(None, ratelimits.SIGNUP_LIMITED)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                result = company_signup(
                    name=data["name"],
                    slug=data["slug"],
                    admin_name=data["admin_name"],
                    email=data["email"],
                    password=data["password"],
                    language=data["language"],
                    timezone_name=data["timezone"],
                    website=data["website"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                token = handoff_token_make(
                    user=result.admin, schema_name=result.company.schema_name
                )
                return redirect(company_url(result.company, f"/auth/handoff/?token={token}"))
    else:
        form = SignupForm(
            initial={"language": translation.get_language() or "ru", "timezone": "Europe/Moscow"}
        )
    status = 429 if ratelimits.limited(request) else 200
    return render(request, "companies/signup.html", {"form": form}, status=status)


@csp_exempt()  # a pretend customer site, with the customer's own inline styles
def demo_page_view(request: HttpRequest) -> HttpResponse:
    """A plain page of a pretend customer site with the demo company's chat on it.

    Development and end-to-end tests only (DEMO_PAGE): in production it would tell anyone a
    company's widget key. It shows the `demo` company's first inbox, or the `?key=` given."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from inboxes.models import Inbox
    from tenants.companies.models import Company

    if not settings.DEMO_PAGE:
        raise Http404
    company = Company.objects.filter(slug="demo").first()
    public_key = ""
    if company is not None:
        with schema_context(company.schema_name):
            inbox = Inbox.objects.filter(is_active=True).order_by("pk").first()
            public_key = inbox.public_key if inbox else ""
        connection.set_schema_to_public()
    return render(
        request, "companies/demo_page.html", {"public_key": request.GET.get("key", public_key)}
    )
