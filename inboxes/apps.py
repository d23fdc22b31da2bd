"""App config for inboxes: a company that signs up gets its first website inbox; routing
listens to domain events; the deadline handlers (escalation, presence grace) register."""

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
        # Deadline handlers register on import (messenger.kernel.deadlines.deadline_handler).
        import inboxes.realtime.presence
        import inboxes.routing.escalation  # noqa: F401
        from inboxes.routing import listeners

        listeners.register()
