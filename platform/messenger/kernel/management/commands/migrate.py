"""`migrate` is `migrate_schemas` here, as in django-tenants, but with the template schema."""

from .migrate_schemas import Command

__all__ = ["Command"]
