"""Tenant resolution for HTTP: the company from the Host header, and refusal for suspended ones.

The base host (`BASE_HOST`) is the public schema (signup, console); `<slug>.<BASE_HOST>` and any
custom domain row select that company's schema. Widget and public API requests will resolve their
company from a key instead (docs/architecture.md, Tenancy).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from messenger.unavailable import DATABASE_ERRORS, database_unavailable_response
from tenants.companies.models import Company, Domain


def public_company() -> Company:
    """An unsaved stand-in for the public schema, so the base host needs no tenant row."""
    return Company(schema_name=get_public_schema_name(), name="public")


class CompanyHostMiddleware(TenantMainMiddleware):
    """Selects the schema from the Host; an unknown host gets a friendly 404.

    It is the first code of a request to query PostgreSQL, so a refusal there is a 503 here."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return super().process_request(request)
        except DATABASE_ERRORS as exc:
            return database_unavailable_response(request, exc)

    def get_tenant(self, domain_model: type[Domain], hostname: str) -> Company:
        if hostname == settings.BASE_HOST or hostname == "testserver":
            return public_company()
        return super().get_tenant(domain_model, hostname)

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        set_urlconf(settings.PUBLIC_SCHEMA_URLCONF)
        return render(request, "errors/unknown_company.html", {"hostname": hostname}, status=404)


class SuspendedCompanyMiddleware:
    """A suspended company's panel answers with a clear message and nothing else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        company = getattr(request, "tenant", None)
        if company is not None and company.pk and company.is_suspended:
            return render(request, "errors/suspended.html", {"company": company}, status=403)
        return self.get_response(request)


def company_url(company: Company, path: str = "/") -> str:
    """Absolute URL of a path on a company's panel host."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{company.primary_host}{port}{path}"


def base_url(path: str = "/") -> str:
    """Absolute URL of a path on the base host (signup, console)."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{settings.BASE_HOST}{port}{path}"
