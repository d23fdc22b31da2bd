"""Company services: self-service signup, the company's settings and logo, and the widget key
routing table."""

from __future__ import annotations

import re
import secrets
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from billing.services import subscription_start_trial
from messenger.schema import schema_activate_public
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
    schema_activate_public()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter the company name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("The company name is too long.")})
    errors: dict[str, list[str]] = {}
    checks: dict[str, Callable[[], str]] = {
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
    schema_activate_public()
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


LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 2048
# Raster formats only: an SVG may carry script, and the logo is shown on customers' sites.
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


def logo_validate(upload: File) -> str:
    """The file extension for an uploaded logo, or ValidationError saying what is wrong.

    Pillow reads the image itself (its name and declared type are the uploader's say-so)."""
    from PIL import Image, UnidentifiedImageError

    if upload.size is not None and upload.size > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo must be at most 1 MB."), code="logo_size")
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format, (width, height) = image.format or "", image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("Upload a PNG, JPEG, GIF or WebP image."), code="logo_format"
        ) from None
    finally:
        upload.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="logo_format")
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            _("The logo must be at most %(side)s pixels on each side.") % {"side": LOGO_MAX_SIDE},
            code="logo_dimensions",
        )
    return LOGO_FORMATS[image_format]


def company_settings_update(
    *,
    company: Company,
    name: str,
    language: str,
    timezone_name: str,
    logo: File | None = None,
    logo_remove: bool = False,
) -> Company:
    """Change the company's name, language, time zone and logo (a new file or none)."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Enter the company name.")]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [_("Choose English or Russian.")]
    try:
        timezone_validate(timezone_name)
    except ValidationError as exc:
        errors["timezone"] = exc.messages
    extension = ""
    if logo is not None:
        try:
            extension = logo_validate(logo)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)
    old_logo = company.logo.name if company.logo else ""
    company.name, company.language, company.timezone = name, language, timezone_name
    if logo is not None:
        # A fresh random name: the address changes with the file, so it can be cached forever.
        company.logo.save(f"{company.slug}-{secrets.token_hex(8)}.{extension}", logo, save=False)
    elif logo_remove:
        company.logo = ""
    company.save(update_fields=["name", "language", "timezone", "logo"])
    if old_logo and old_logo != company.logo.name:
        transaction.on_commit(lambda: default_storage.delete(old_logo))
    return company


def company_for_address(address: str) -> Company | None:
    """The active company a typed address names: its subdomain alone, its host, or a URL of it
    ("acme", "acme.example.com", "https://acme.example.com/login/"); None otherwise."""
    host = (address or "").strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split(":", 1)[0]
    base = settings.BASE_HOST.lower()
    if host.endswith("." + base):
        host = host[: -len(base) - 1]
    if not host or "." in host or not SUBDOMAIN_RE.match(host):
        return None
    found: Company | None = Company.objects.filter(slug=host, status=Company.Status.ACTIVE).first()
    return found


def companies_of_email(email: str) -> list[Company]:
    """Active companies where `email` is the owner or an active person, by name."""
    email = email.strip().lower()
    found: dict[int, Company] = {}
    active = Company.objects.filter(status=Company.Status.ACTIVE).exclude(
        schema_name=settings.PUBLIC_SCHEMA_NAME
    )
    for company in active.order_by("name"):
        if company.owner_email.lower() == email:
            found[company.pk] = company
            continue
        with schema_context(company.schema_name):
            if User.objects.filter(email=email, is_active=True).exists():
                found[company.pk] = company
    schema_activate_public()
    return list(found.values())


def login_links_send(*, email: str, language: str) -> int:
    """Email `email` the login page of each company they belong to (nothing when none);
    returns how many links were sent. The page that asks never says whether any exist."""
    from messenger.tenancy import company_url

    companies = companies_of_email(email)
    if not companies:
        return 0
    with translation.override(language):
        subject = _("Your Messenger login links")
        body = render_to_string(
            "companies/email/login_links.txt",
            {"links": [(c.name, company_url(c, "/login/")) for c in companies]},
        )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return len(companies)
