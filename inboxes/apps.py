"""App config for inboxes: a company that signs up gets its first website inbox; routing
listens to domain events; deadline handlers and getting-started steps register."""

from importlib import import_module
from typing import Any

from django.apps import AppConfig


def _first_inbox(sender: type, company: Any, website: str = "", **kwargs: Any) -> None:
    from inboxes.installation import first_inbox_create

    first_inbox_create(company=company, website=website)


class InboxesConfig(AppConfig):
    name = "inboxes"
    label = "inboxes"

    def ready(self) -> None:
        from tenants.companies.signals import company_signed_up

        company_signed_up.connect(_first_inbox, dispatch_uid="inboxes-first-inbox")
        # Modules that register on import: deadline handlers (escalation, presence grace,
        # messenger.kernel.deadlines) and the getting-started steps about inboxes' data.
        for module in (
            "inboxes.routing.escalation",
            "inboxes.presence",
            "inboxes.onboarding",
        ):
            import_module(module)
        from inboxes.routing import listeners

        listeners.register()
