"""Base-host pages: the landing page, self-service signup, finding one's company to log in,
and company logos (served on every host)."""

from __future__ import annotations

import mimetypes

from csp.decorators import csp_exempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from messenger.tasks import enqueue_on_commit
from messenger.tenancy import company_url
from tenants.accounts import ratelimits
from tenants.accounts.handoff import handoff_token_make
from tenants.companies.forms import LoginFindForm, SignupForm
from tenants.companies.models import Company
from tenants.companies.services import company_for_address, company_signup


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


@ratelimits.login_find_limit
def login_find_view(request: HttpRequest) -> HttpResponse:
    """The "I already have an account" page: a company address goes to that company's login
    page; an email gets the login links of its companies by mail, and the answer never says
    whether there were any."""
    form = LoginFindForm(request.POST or None)
    sent_to = ""
    if ratelimits.limited(request):
        form.add_error(None, ratelimits.LOGIN_FIND_LIMITED)
    elif request.method == "POST" and form.is_valid():
        address = form.cleaned_data["address"].strip()
        if "@" in address:
            try:
                validate_email(address)
            except ValidationError:
                form.add_error("address", _("Enter a valid email address."))
            else:
                from tenants.companies.tasks import login_links_send

                if ratelimits.login_find_email_allowed(request):
                    language = translation.get_language() or settings.LANGUAGE_CODE
                    enqueue_on_commit(login_links_send, address.lower(), language)
                sent_to = address
        else:
            company = company_for_address(address)
            if company is not None:
                return redirect(company_url(company, "/login/"))
            form.add_error(
                "address",
                _("No company has this address. Check it, or type your email instead."),
            )
    status = 429 if ratelimits.limited(request) else 200
    return render(
        request, "companies/login_find.html", {"form": form, "sent_to": sent_to}, status=status
    )


def company_logo_view(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    """A company's current logo; its file name is part of the address, so it is cached long."""
    company = Company.objects.filter(slug=slug).exclude(status=Company.Status.SUSPENDED).first()
    if company is None or not company.logo or company.logo.name.rsplit("/", 1)[-1] != name:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(company.logo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@csp_exempt()  # a pretend customer site, with the customer's own inline styles
def demo_page_view(request: HttpRequest) -> HttpResponse:
    """A plain page of a pretend customer site with the demo company's chat on it.

    Development and end-to-end tests only (DEMO_PAGE): in production it would tell anyone a
    company's widget key. It shows the `demo` company's first inbox, or the `?key=` given."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from inboxes.models import Inbox
    from inboxes.models.message import BODY_MAX_LENGTH

    if not settings.DEMO_PAGE:
        raise Http404
    company = Company.objects.filter(slug="demo").first()
    public_key = ""
    if company is not None:
        with schema_context(company.schema_name):
            inbox = Inbox.objects.filter(is_active=True).order_by("pk").first()
            public_key = inbox.public_key if inbox else ""
        connection.set_schema_to_public()
    context = {"public_key": request.GET.get("key", public_key), "body_max": BODY_MAX_LENGTH}
    return render(request, "companies/demo_page.html", context)
