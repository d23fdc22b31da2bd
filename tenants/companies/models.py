"""Public-schema models: the company (one schema each), its domains and widget key routes."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django_tenants.clone import CloneSchema
from django_tenants.models import DomainMixin, TenantMixin

from tenants.companies.schema_clone import TemplateNotClonable, schema_clone

logger = structlog.get_logger(__name__)


class Company(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField(_("company name"), max_length=120)
    slug = models.SlugField(_("subdomain"), max_length=40, unique=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    owner_email = models.EmailField(_("owner email"), unique=True)
    # Stored through the default storage; served by `company_logo_view` at `logo_url`.
    logo = models.FileField(_("logo"), upload_to="company-logos/", blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now)
    # Denormalised for the console, so listing 1,000 companies never opens 1,000 schemas.
    user_count = models.PositiveIntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["-created_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def logo_path(self) -> str:
        """Path of the logo, served on the base host and on each company host alike ("" without
        one). The file name is in it, so a new logo is a new address and caches may keep each."""
        if not self.logo:
            return ""
        return f"/logos/{self.slug}/{(self.logo.name or '').rsplit('/', 1)[-1]}"

    @property
    def primary_host(self) -> str:
        return f"{self.slug}.{settings.BASE_HOST}"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> None:
        """Copy the migrated template schema, including its django_migrations rows.

        django-tenants would then run a faked `migrate` per company (the migration graph is
        loaded each time); the copy already records every applied migration, so that step is
        skipped. `migrate_schemas` keeps the template migrated (messenger.kernel). The copy is
        tenants.companies.schema_clone; django-tenants' clone is the fallback for templates
        holding objects that script does not copy.
        """
        try:
            schema_clone(settings.TENANT_BASE_SCHEMA, self.schema_name)
        except TemplateNotClonable as exc:
            logger.warning("schema_clone.fallback", reason=str(exc))
            CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, self.schema_name, "DATA")


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")


class WidgetKeyRoute(models.Model):
    """Public key of an inbox → its company; the widget API resolves the schema from it."""

    public_key = models.CharField(max_length=64, unique=True)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="widget_keys")
    created_at = models.DateTimeField(default=now)
