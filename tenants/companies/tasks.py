"""Celery entry points of the companies app (thin: call a service)."""

from __future__ import annotations

import smtplib

from messenger.celery import app
from tenants.companies import services


@app.task(
    name="companies.login_links_send",
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=6,
    time_limit=120,
)
def login_links_send(email: str, language: str) -> None:
    """Email someone the login pages of their companies; looks through every company's people,
    so it runs off the request (which then answers the same whatever is found)."""
    services.login_links_send(email=email, language=language)
