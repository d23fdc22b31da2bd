"""App config for inboxes."""

from django.apps import AppConfig


class InboxesConfig(AppConfig):
    name = "inboxes"
    label = "inboxes"
