"""django-tenants: schema per company, new companies cloned from a migrated template schema."""

from .env import env

TENANT_MODEL = "companies.Company"
TENANT_DOMAIN_MODEL = "companies.Domain"
PUBLIC_SCHEMA_NAME = "public"
# New companies are cloned from this schema instead of running every migration (fast signup).
TENANT_BASE_SCHEMA = env.str("TENANT_BASE_SCHEMA", default="company_template")
TENANT_CREATION_FAKES_MIGRATIONS = True
TENANT_LIMIT_SET_CALLS = True
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
