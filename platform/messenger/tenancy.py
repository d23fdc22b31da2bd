"""Tenant resolution for HTTP: the company from the Host header, and refusal for suspended ones.

The base host (`BASE_HOST`) is the public schema (signup, console); `<slug>.<BASE_HOST>` and any
custom domain row select that company's schema. Widget and public API requests will resolve their
company from a key instead (docs/architecture.md, Tenancy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import set_urlconf
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name, get_tenant_model

from messenger.unavailable import DATABASE_ERRORS, database_unavailable_response


class CompanyHost(Protocol):
    """What a company URL needs (the kernel names no app's model: docs/boundaries.md)."""

    @property
    def primary_host(self) -> str: ...


def public_company() -> TenantMixin:
    """An unsaved stand-in for the public schema, so the base host needs no tenant row."""
    company: TenantMixin = get_tenant_model()(schema_name=get_public_schema_name(), name="public")
    return company


class CompanyHostMiddleware(TenantMainMiddleware):
    """Selects the schema from the Host; an unknown host gets a friendly 404.

    It is the first code of a request to query PostgreSQL, so a refusal there is a 503 here."""

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        try:
            return super().process_request(request)
        except DATABASE_ERRORS as exc:
            return database_unavailable_response(request, exc)

    def get_tenant(self, domain_model: type[DomainMixin], hostname: str) -> TenantMixin:
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


def company_url(company: CompanyHost, path: str = "/") -> str:
    """Absolute URL of a path on a company's panel host."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{company.primary_host}{port}{path}"


def base_url(path: str = "/") -> str:
    """Absolute URL of a path on the base host (signup, console)."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{settings.BASE_HOST}{port}{path}"
