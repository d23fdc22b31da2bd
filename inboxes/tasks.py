"""Celery entry points of the inboxes app (thin: fetch by id, call a service)."""

from __future__ import annotations

import smtplib

from inboxes import installation
from messenger.celery import app


@app.task(
    name="inboxes.install_instructions_email",
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=6,
    time_limit=60,
)
def install_instructions_email(inbox_id: int, email: str, sender_name: str) -> None:
    installation.install_instructions_email(inbox_id=inbox_id, email=email, sender_name=sender_name)
