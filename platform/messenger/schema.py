"""The connection's company schema, typed: django-tenants adds these to the database connection,
which django-stubs types without them."""

from __future__ import annotations

from typing import Any

from django.db import connection


def current_schema() -> str:
    """The schema the default connection is set to ("public" or a company's)."""
    name: str = connection.schema_name  # type: ignore[attr-defined]
    return name


def schema_activate(name: str) -> None:
    connection.set_schema(name)  # type: ignore[attr-defined]


def schema_activate_public() -> None:
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def tenant_activate(tenant: Any) -> None:
    """Activate a company (a tenant model row) on the default connection."""
    connection.set_tenant(tenant)  # type: ignore[attr-defined]
