"""App config for the superadmin console."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "tenants.console"
    label = "console"
