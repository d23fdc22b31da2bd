"""Login, logout, handoff after signup and the language switch, on any host."""

from __future__ import annotations

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from messenger.schema import current_schema
from tenants.accounts.handoff import handoff_user
from tenants.accounts.ratelimits import RateLimitedLoginView
from tenants.companies.services import company_touch


class CompanyLoginView(RateLimitedLoginView):
    """Operators log in on their company's host only; the user table is the company's own.
    Failed attempts are limited per address and per account of this company."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        company = getattr(self.request, "tenant", None)
        if company is not None and company.pk:
            company_touch(company=company)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("login")


def handoff_view(request: HttpRequest) -> HttpResponse:
    user = handoff_user(token=request.GET.get("token", ""), schema_name=current_schema())
    if user is None:
        return redirect("login")
    auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("home")


@require_POST
def language_set_view(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered in a cookie and on the user."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
        if request.user.is_authenticated and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
    return response
