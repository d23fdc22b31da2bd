"""`migrate_schemas` that keeps the company template schema migrated and skips up-to-date ones.

Same options as django-tenants' command. Public first, then the template schema new companies
are cloned from, then only the companies whose schema is behind (see messenger.kernel.schemas).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_exists

from messenger.kernel.schemas import schemas_behind
from messenger.schema import schema_activate_public


class Command(MigrateSchemasCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        only_schema = options.get("schema_name")
        if (
            only_schema
            or options.get("fake")
            or not (options.get("tenant") or not options.get("shared"))
        ):
            super().handle(*args, **options)
            return

        # Public schema (unless --tenant).
        if not options.get("tenant"):
            super().handle(*args, **{**options, "shared": True, "tenant": False})

        template = settings.TENANT_BASE_SCHEMA
        schema_activate_public()
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(template)}")
        companies = list(
            get_tenant_model()
            .objects.exclude(schema_name=get_public_schema_name())
            .values_list("schema_name", flat=True)
        )
        behind = schemas_behind([template, *companies])
        verbosity = int(options.get("verbosity", 1))
        if verbosity:
            self.stdout.write(
                f"{len(companies)} companies; {len(behind)} schema(s) need migrations"
            )
        for schema_name in behind:
            super().handle(
                *args, **{**options, "shared": False, "tenant": True, "schema_name": schema_name}
            )
