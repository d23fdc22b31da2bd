"""Celery entry points of the organisation app (thin: fetch by id, call a service)."""

from __future__ import annotations

from messenger.celery import EMAIL_TASK, app
from tenants.organization import invitations


@app.task(name="organization.invitation_email_send", **EMAIL_TASK)
def invitation_email_send(invitation_id: int, accept_url: str) -> None:
    """Send the invitation email; safe to run twice (a used or revoked invitation is skipped)."""
    invitations.invitation_email_send(invitation_id=invitation_id, accept_url=accept_url)
