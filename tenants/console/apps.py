"""App config for the superadmin console; it hears company activity (tenants.console.activity)."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "tenants.console"
    label = "console"

    def ready(self) -> None:
        from tenants.console import activity

        activity.register()
