"""Celery entry points of the companies app (thin: call a service)."""

from __future__ import annotations

from messenger.celery import EMAIL_TASK, app
from tenants.companies import services


@app.task(name="companies.login_links_send", **{**EMAIL_TASK, "time_limit": 120})
def login_links_send(email: str, language: str) -> None:
    """Email someone the login pages of their companies; looks through every company's people,
    so it runs off the request (which then answers the same whatever is found)."""
    services.login_links_send(email=email, language=language)
