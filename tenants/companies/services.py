"""Company services: self-service signup and the widget key routing table."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from billing.services import subscription_start_trial
from tenants.accounts.models import User
from tenants.companies.models import Company, Domain, WidgetKeyRoute
from tenants.companies.reserved import RESERVED_SUBDOMAINS
from tenants.companies.signals import company_signed_up

SUBDOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
SUBDOMAIN_MIN, SUBDOMAIN_MAX = 3, 40


@dataclass(frozen=True)
class SignupResult:
    company: Company
    admin: User


def schema_name_for(slug: str) -> str:
    """Subdomains allow '-' but not '_', so this mapping is one-to-one."""
    return "co_" + slug.replace("-", "_")


def subdomain_validate(slug: str) -> str:
    """Return the normalised subdomain or raise ValidationError saying what is wrong with it."""
    slug = (slug or "").strip().lower()
    if len(slug) < SUBDOMAIN_MIN:
        raise ValidationError(
            _("The subdomain must be at least %(n)d characters long.") % {"n": SUBDOMAIN_MIN},
            code="too_short",
        )
    if len(slug) > SUBDOMAIN_MAX:
        raise ValidationError(
            _("The subdomain must be at most %(n)d characters long.") % {"n": SUBDOMAIN_MAX},
            code="too_long",
        )
    if not SUBDOMAIN_RE.match(slug) or "--" in slug:
        raise ValidationError(
            _(
                "Use only Latin letters, digits and single hyphens; "
                "start and end with a letter or digit."
            ),
            code="malformed",
        )
    if slug in RESERVED_SUBDOMAINS:
        raise ValidationError(_("This subdomain is reserved."), code="reserved")
    if Company.objects.filter(slug=slug).exists():
        raise ValidationError(_("This subdomain is already taken."), code="taken")
    return slug


def owner_email_validate(email: str) -> str:
    email = (email or "").strip().lower()
    validate_email(email)
    if Company.objects.filter(owner_email=email).exists():
        raise ValidationError(
            _("A company with this email is already registered."), code="duplicate_email"
        )
    return email


def timezone_validate(name: str) -> str:
    if name not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="timezone")
    return name


def company_signup(
    *,
    name: str,
    slug: str,
    admin_name: str,
    email: str,
    password: str,
    language: str,
    timezone_name: str,
    website: str = "",
) -> SignupResult:
    """Create a company, its schema (cloned from the template), domain, admin and default branch,
    and (through `company_signed_up`) its first website inbox, for `website` when given.

    One transaction covers the public rows and the new schema (PostgreSQL DDL is transactional),
    so a failure at any step leaves no company row, schema or domain behind.
    """
    from tenants.organization.services import branch_create

    # Companies live in the public schema; a thread that served a panel request may still be
    # on a company's schema.
    connection.set_schema_to_public()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the company name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("The company name is too long.")})
    errors: dict[str, list[str]] = {}
    checks = {
        "slug": lambda: subdomain_validate(slug),
        "email": lambda: owner_email_validate(email),
        "timezone": lambda: timezone_validate(timezone_name),
    }
    cleaned: dict[str, str] = {}
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as exc:
            errors[field] = exc.messages
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose English or Russian.")]
    if not (admin_name or "").strip():
        errors["admin_name"] = [_("Enter your name.")]
    try:
        validate_password(password, user=User(email=cleaned.get("email", ""), full_name=admin_name))
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)

    slug, email, tz = cleaned["slug"], cleaned["email"], cleaned["timezone"]
    with transaction.atomic():
        company = Company(
            name=name,
            slug=slug,
            schema_name=schema_name_for(slug),
            language=language,
            timezone=tz,
            owner_email=email,
            user_count=1,
            last_activity_at=timezone.now(),
        )
        company.save(verbosity=0)
        Domain.objects.create(domain=company.primary_host, tenant=company, is_primary=True)
        subscription_start_trial(company=company)
        with schema_context(company.schema_name):
            admin = User.objects.create_user(
                email,
                password,
                full_name=admin_name.strip(),
                role=User.Role.ADMIN,
                language=language,
            )
            with translation.override(language):
                main = branch_create(
                    name=_("Main office"), region="", timezone_name=tz, is_default=True, actor=admin
                )
            main.members.add(admin)
            # The inboxes app makes the company's first website inbox here.
            company_signed_up.send(Company, company=company, admin=admin, website=website)
    connection.set_schema_to_public()
    return SignupResult(company=company, admin=admin)


def widget_key_route_add(*, company: Company, public_key: str) -> WidgetKeyRoute:
    """Record which company an inbox's public key belongs to (public schema)."""
    with schema_context("public"):
        return WidgetKeyRoute.objects.create(company=company, public_key=public_key)


def company_touch(*, company: Company) -> None:
    """Record activity for the console's "last activity" column (at most once a minute)."""
    now = timezone.now()
    if company.last_activity_at and (now - company.last_activity_at).total_seconds() < 60:
        return
    Company.objects.filter(pk=company.pk).update(last_activity_at=now)
    company.last_activity_at = now
