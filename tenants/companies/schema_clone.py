"""Copy the migrated template schema into a new company's schema in constant time.

django-tenants' `clone_schema` SQL function walks catalogue views (a self-join of
`pg_indexes`, `information_schema`) whose cost grows with every schema in the database, and
`CloneSchema` reinstalls that function on each call, which also serialises signups on its
locks: at 300 companies a signup took 6.5 s. Here the template is read once per process (and
again only when its migrations change) into a DDL script that names no other schema's objects;
a signup runs that script, one round trip, whatever the number of companies.

The script keeps every name the template has (tables, indexes, constraints), so later
migrations that drop or rename one by name work on cloned schemas exactly as on migrated ones.
Objects the script does not know how to copy (functions, views, triggers, standalone
sequences, custom types) make it refuse, and the caller falls back to django-tenants' clone.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from django.db import connection, transaction

from messenger.schema import schema_activate_public


class TemplateNotClonable(Exception):
    """The template holds an object kind the script does not copy."""


@dataclass(frozen=True)
class CloneScript:
    fingerprint: tuple[int, int]  # (rows, max id) of the template's django_migrations
    statements: tuple[str, ...]  # run with search_path = the new schema only


_cache: dict[str, CloneScript] = {}
_cache_lock = threading.Lock()

_FINGERPRINT_SQL = "SELECT count(*), coalesce(max(id), 0) FROM {schema}.django_migrations"

_UNSUPPORTED_SQL = """
SELECT 'function ' || p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s
UNION ALL
SELECT 'relation ' || c.relname || ' (kind ' || c.relkind::text || ')' FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'i', 'S')
UNION ALL
SELECT 'sequence ' || s.relname FROM pg_class s
 WHERE s.relnamespace = %(ns)s AND s.relkind = 'S' AND NOT EXISTS (
   SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.deptype = 'i')
UNION ALL
SELECT 'trigger ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
UNION ALL
SELECT 'type ' || t.typname FROM pg_type t
 WHERE t.typnamespace = %(ns)s AND t.typtype NOT IN ('b', 'c')
"""

# Constraints in dependency order: keys first, so foreign keys find their unique index.
_CONSTRAINTS_SQL = """
SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE k.connamespace = %(ns)s AND k.contype IN ('p', 'u', 'c', 'x', 'f')
 ORDER BY CASE k.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 1 WHEN 'c' THEN 2
          ELSE 3 END, c.relname, k.conname
"""

# Indexes that no constraint owns (those come with their constraint).
_INDEXES_SQL = """
SELECT pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE ic.relnamespace = %(ns)s
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                   AND k.contype IN ('p', 'u', 'x'))
 ORDER BY ic.relname
"""

_IDENTITY_SQL = """
SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attidentity <> '' AND a.attnum > 0
"""


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _fingerprint(cursor, template: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    cursor.execute(_FINGERPRINT_SQL.format(schema=_quote(template)))
    rows, last_id = cursor.fetchone()
    return int(rows), int(last_id)


def _script_build(cursor, template: str) -> CloneScript:  # type: ignore[no-untyped-def]
    """Read the template's catalogue entries (all filtered by its namespace OID)."""
    fingerprint = _fingerprint(cursor, template)
    cursor.execute("SELECT %s::regnamespace::oid", [_quote(template)])
    ns = cursor.fetchone()[0]
    cursor.execute(_UNSUPPORTED_SQL, {"ns": ns})
    unsupported = [row[0] for row in cursor.fetchall()]
    if unsupported:
        raise TemplateNotClonable(", ".join(sorted(unsupported)))

    # With the template alone on the search path the catalogue functions print the template's
    # own objects unqualified and everything else (public tables, types) qualified.
    cursor.execute(f"SET LOCAL search_path TO {_quote(template)}")
    q_template = _quote(template)
    statements: list[str] = []
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = %s AND relkind = 'r' ORDER BY relname",
        [ns],
    )
    tables = [row[0] for row in cursor.fetchall()]
    for table in tables:
        statements.append(
            f"CREATE TABLE {_quote(table)} (LIKE {q_template}.{_quote(table)} "
            "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE "
            "INCLUDING COMMENTS)"
        )
    cursor.execute(_CONSTRAINTS_SQL, {"ns": ns})
    for table, name, definition in cursor.fetchall():
        statements.append(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
    # pg_get_indexdef always names the table with its schema: take the template's name out.
    on_template = re.compile(rf" ON (ONLY )?(?:{re.escape(q_template)}|{re.escape(template)})\.")
    cursor.execute(_INDEXES_SQL, {"ns": ns})
    for (definition,) in cursor.fetchall():
        rewritten, count = on_template.subn(r" ON \1", definition, count=1)
        if count != 1:
            raise TemplateNotClonable(f"index definition not understood: {definition}")
        statements.append(rewritten)

    # Rows the template holds (its migration history, content types, permissions).
    cursor.execute(_IDENTITY_SQL, {"ns": ns})
    identity = dict(cursor.fetchall())
    for table in tables:
        # Identifiers below come from the catalogue of our own template, quoted.
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {q_template}.{_quote(table)})")  # noqa: S608
        if not cursor.fetchone()[0]:
            continue
        statements.append(
            f"INSERT INTO {_quote(table)} OVERRIDING SYSTEM VALUE "  # noqa: S608
            f"SELECT * FROM {q_template}.{_quote(table)}"
        )
        if table in identity:
            column = identity[table]
            statements.append(
                f"SELECT setval(pg_get_serial_sequence({_literal(_quote(table))}, "  # noqa: S608
                f"{_literal(column)}), max({_quote(column)})) FROM {_quote(table)}"
            )
    cursor.execute("SET LOCAL search_path TO public")
    return CloneScript(fingerprint=fingerprint, statements=tuple(statements))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def schema_clone(template: str, new_schema: str) -> None:
    """Create `new_schema` as a copy of `template` (structure and rows) in the current transaction.

    Raises TemplateNotClonable when the template holds objects this copy does not handle.
    The connection is left on the public schema.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        fingerprint = _fingerprint(cursor, template)
        script = _cache.get(template)
        if script is None or script.fingerprint != fingerprint:
            with _cache_lock:
                script = _script_build(cursor, template)
                _cache[template] = script
        body = ";\n".join(script.statements)
        cursor.execute(
            f"CREATE SCHEMA {_quote(new_schema)};\n"
            f"SET LOCAL search_path TO {_quote(new_schema)};\n{body};\n"
            "SET LOCAL search_path TO public"
        )
    # django-tenants caches the search path it set last (TENANT_LIMIT_SET_CALLS): forget it.
    schema_activate_public()


def script_cache_clear() -> None:
    """Forget the built scripts (tests that change the template call this)."""
    with _cache_lock:
        _cache.clear()
