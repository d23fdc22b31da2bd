"""Sentry set-up: initialised from SENTRY_DSN when set, every event tagged with the company.

sentry-sdk is imported only when SENTRY_DSN is set: it brings urllib3, an HTTP client and its
integrations, a large share of a process's start-up, for nothing where Sentry is off.
"""

from __future__ import annotations

from django.conf import settings


def sentry_init() -> bool:
    """Initialise Sentry when a DSN is configured; return whether it was."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT,
        traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
    )
    return True


def tag_company(schema_name: str | None) -> None:
    """Tag the current Sentry scope with the company's schema (no-op without Sentry)."""
    if not settings.SENTRY_DSN:
        return
    import sentry_sdk

    sentry_sdk.get_isolation_scope().set_tag("company", schema_name or "public")
