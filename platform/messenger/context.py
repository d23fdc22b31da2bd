"""Template context shared by every page: the company, the base host and the languages."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from messenger.tenancy import base_url


def site(request: HttpRequest) -> dict[str, object]:
    company = getattr(request, "tenant", None)
    return {
        "company": company if company is not None and company.pk else None,
        "BASE_HOST": settings.BASE_HOST,
        "BASE_URL": base_url("/").rstrip("/"),
        "LANGUAGE_CHOICES": settings.LANGUAGES,
    }
