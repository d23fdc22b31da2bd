"""Celery entry points of the inboxes app (thin: fetch by id, call a service)."""

from __future__ import annotations

from inboxes import installation
from inboxes.conversations import notifications
from inboxes.models import Conversation
from messenger.celery import EMAIL_TASK, app


@app.task(name="inboxes.install_instructions_email", **EMAIL_TASK)
def install_instructions_email(inbox_id: int, email: str, sender_name: str) -> None:
    installation.install_instructions_email(inbox_id=inbox_id, email=email, sender_name=sender_name)


@app.task(name="inboxes.offline_request_notify", acks_late=True, time_limit=60)
def offline_request_notify(conversation_id: int) -> None:
    """One email task per person who follows the request up (each retried on its own)."""
    conversation = Conversation.objects.filter(pk=conversation_id, is_request=True).first()
    if conversation is None:
        return
    for user in notifications.offline_request_recipients(conversation):
        offline_request_email.delay(conversation_id, user.pk)


@app.task(name="inboxes.offline_request_email", **EMAIL_TASK)
def offline_request_email(conversation_id: int, user_id: int) -> None:
    notifications.offline_request_email_send(conversation_id=conversation_id, user_id=user_id)
