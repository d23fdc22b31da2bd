"""App config for companies: a deleted company's open sockets are closed and its pending
deadlines cancelled, however it was deleted (console, admin or shell)."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete

from messenger.realtime import company_sockets_end


def _company_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    from messenger.kernel.deadlines import deadlines_cancel_company  # models: after apps load

    company_sockets_end(instance.schema_name, reason="company_deleted")
    deadlines_cancel_company(instance.schema_name)  # in the deleting transaction


class CompaniesConfig(AppConfig):
    name = "tenants.companies"
    label = "companies"

    def ready(self) -> None:
        from tenants.companies.models import Company

        post_delete.connect(_company_deleted, sender=Company, dispatch_uid="company-sockets-end")
