"""The template copy: same tables, columns, names, constraints, indexes and rows as the template."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from tenants.accounts.models import User
from tenants.companies import schema_clone as clone_module
from tenants.companies.schema_clone import TemplateNotClonable, schema_clone

pytestmark = pytest.mark.django_db

TEMPLATE = settings.TENANT_BASE_SCHEMA


def catalogue(schema: str) -> dict[str, Any]:
    """Everything about a schema's structure, with the schema's own name taken out."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path TO {connection.ops.quote_name(schema)}")
        cursor.execute(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, a.attidentity, pg_get_expr(d.adbin, d.adrelid)
              FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
             WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0
               AND NOT a.attisdropped
             ORDER BY c.relname, a.attnum
            """,
            [schema],
        )
        columns = cursor.fetchall()
        cursor.execute(
            """
            SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid),
                   k.condeferrable, k.condeferred
              FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             WHERE k.connamespace = %s::regnamespace ORDER BY 1, 2
            """,
            [schema],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT ic.relname, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
             WHERE ic.relnamespace = %s::regnamespace ORDER BY 1
            """,
            [schema],
        )
        indexes = [
            (name, definition.replace(f" ON {schema}.", " ON "))
            for name, definition in cursor.fetchall()
        ]
        cursor.execute(
            "SELECT app, name FROM django_migrations ORDER BY id",
        )
        migrations = cursor.fetchall()
        cursor.execute("SET LOCAL search_path TO public")
    connection.set_schema_to_public()
    return {
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "migrations": migrations,
    }


def test_schema_copy_matches_the_template_in_every_name_and_definition():
    schema_clone(TEMPLATE, "co_copycheck")
    template, copy = catalogue(TEMPLATE), catalogue("co_copycheck")
    assert copy["columns"] == template["columns"]
    assert copy["constraints"] == template["constraints"]
    assert copy["indexes"] == template["indexes"]
    assert copy["migrations"] == template["migrations"] and len(copy["migrations"]) > 20
    assert any(c[2] == "f" for c in copy["constraints"])  # foreign keys came along


def test_schema_copy_identity_columns_continue_after_the_copied_rows():
    schema_clone(TEMPLATE, "co_copyseq")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO co_copyseq.django_migrations (app, name, applied) "
            "VALUES ('x', 'y', now()) RETURNING id"
        )
        new_id = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM company_template.django_migrations")
        assert new_id == cursor.fetchone()[0] + 1
    with schema_context("co_copyseq"):
        user = User.objects.create_user("a@b.example", "x" * 12, full_name="A")
        assert user.pk == 1


def test_schema_copy_foreign_keys_point_inside_the_new_schema():
    schema_clone(TEMPLATE, "co_copyfk")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT r.relnamespace::regnamespace::text
              FROM pg_constraint k JOIN pg_class r ON r.oid = k.confrelid
             WHERE k.connamespace = 'co_copyfk'::regnamespace AND k.contype = 'f'
            """
        )
        assert [row[0] for row in cursor.fetchall()] == ["co_copyfk"]


def test_schema_copy_refuses_a_template_with_objects_it_cannot_copy():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE VIEW {TEMPLATE}.clone_probe AS SELECT 1 AS one")
    clone_module.script_cache_clear()
    try:
        with pytest.raises(TemplateNotClonable, match="clone_probe"):
            clone_module._script_build(connection.cursor(), TEMPLATE)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP VIEW {TEMPLATE}.clone_probe")
        clone_module.script_cache_clear()


def test_company_creation_does_not_use_the_django_tenants_clone_function(monkeypatch):
    from django_tenants.clone import CloneSchema

    from tenants.companies.services import company_signup
    from tests.factories import PASSWORD

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("django-tenants clone_schema called")

    monkeypatch.setattr(CloneSchema, "clone_schema", refuse)
    result = company_signup(
        name="Copy Co",
        slug="copyco",
        admin_name="Ann",
        email="ann@copyco.example",
        password=PASSWORD,
        language="en",
        timezone_name="Europe/Moscow",
    )
    with schema_context(result.company.schema_name):
        assert User.objects.get().email == "ann@copyco.example"
