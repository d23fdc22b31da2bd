"""Core Django settings: apps, middleware, templates, auth, i18n, static files."""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .env import DEBUG, env, secret

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PROJECT_DIR.parent.parent

SECRET_KEY = secret("DJANGO_SECRET_KEY", dev_default="dev-only-insecure-secret-key-change-me")
DEBUG = DEBUG

# The host companies' panels hang under: `<slug>.<BASE_HOST>`; signup and console live on it.
BASE_HOST: str = env.str("BASE_HOST", default="localhost")
# Port shown in links in development (browsers resolve *.localhost to loopback).
PUBLIC_PORT: str = env.str("PUBLIC_PORT", default="8000" if DEBUG else "")
PUBLIC_SCHEME: str = env.str("PUBLIC_SCHEME", default="http" if DEBUG else "https")

# Django's test runner adds "testserver" itself; production answers only its own hosts.
ALLOWED_HOSTS = [BASE_HOST, f".{BASE_HOST}", "127.0.0.1"]
# Every form posts to its own host, which Django's CSRF check trusts by itself: one company's
# subdomain must not be trusted for another's (no `*.BASE_HOST` here). Extra origins by env.
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SHARED_APPS = [
    # Listed first so its `migrate_schemas` (template schema, fast no-op) wins over django-tenants'.
    "messenger.kernel",
    "django_tenants",
    "tenants.companies",
    "tenants.console",
    "django_otp",  # platform staff's second factor (public schema only)
    "django_otp.plugins.otp_totp",
    "billing",
    "tenants.accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",
    "channels",
    "csp",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "tenants.accounts",
    "tenants.organization",
    "inboxes",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]

MIDDLEWARE = [
    "messenger.health.HealthMiddleware",
    "messenger.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "inboxes.widget_api.cors.WidgetCorsMiddleware",
    "messenger.tenancy.CompanyHostMiddleware",
    "messenger.inputs.InputGuardMiddleware",  # NUL text and oversized bodies (after tenancy)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "messenger.cache_headers.SignedInJsonNoStoreMiddleware",
    "messenger.i18n.CompanyLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenants.console.access_middleware.StaffAccessMiddleware",  # staff visits: read-only, timed
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "messenger.tenancy.SuspendedCompanyMiddleware",
    "billing.access.ReadOnlyAccountMiddleware",  # unpaid: no changes, chats go on
    "messenger.logs.RequestContextMiddleware",
]

ROOT_URLCONF = "messenger.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "messenger.urls_public"
ASGI_APPLICATION = "messenger.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "messenger.context.site",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dialogs"  # after /login/ without ?next= (default is /accounts/profile/)
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env.bool("FAST_PASSWORD_HASHER", default=False):  # tests and benchmarks only
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"  # one sessions table per schema
SESSION_COOKIE_NAME = "msid"
SECURE_COOKIES: bool = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [PROJECT_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = REPO_DIR / ".data" / "static"
STATICFILES_DIRS = [PROJECT_DIR / "static"]
# Hashed, compressed static files need `collectstatic`; development and tests serve from finders.
STATIC_MANIFEST: bool = env.bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Messenger <noreply@localhost>")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(REPO_DIR / ".data" / "mail"))

INVITATION_TTL_HOURS = env.int("INVITATION_TTL_HOURS", default=72)

# Rate limits of the account entry points (tenants/accounts/ratelimits.py), counted in the
# default cache. A rate is "<count>/<period>" with s, m, h or d and an optional multiplier
# ("10/15m"); an empty rate turns that one limit off.
RATELIMIT_ENABLE: bool = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_USE_CACHE = "default"
RATELIMIT_LOGIN_IP: str = env.str("RATELIMIT_LOGIN_IP", default="20/m")
RATELIMIT_LOGIN_ACCOUNT: str = env.str("RATELIMIT_LOGIN_ACCOUNT", default="10/15m")
RATELIMIT_SIGNUP_IP: str = env.str("RATELIMIT_SIGNUP_IP", default="10/h")
# Wrong second-factor codes on the console, per staff member and per address (tenants/console).
RATELIMIT_CONSOLE_OTP: str = env.str("RATELIMIT_CONSOLE_OTP", default="5/5m")
OTP_TOTP_ISSUER = "Messenger"
RATELIMIT_LOGIN_FIND_IP: str = env.str("RATELIMIT_LOGIN_FIND_IP", default="10/h")
RATELIMIT_LOGIN_FIND_EMAIL: str = env.str("RATELIMIT_LOGIN_FIND_EMAIL", default="3/h")
RATELIMIT_INVITE_USER: str = env.str("RATELIMIT_INVITE_USER", default="30/h")

# Rate limits of the chat widget (inboxes/visitors/ratelimits.py over HTTP, counted in the
# default cache; inboxes/realtime/throttle.py on visitor sockets, token buckets in the server
# process). Per client IP and per company they count new visitors, new conversations and offline
# requests; per visitor, also messages and typing signals. On a socket a rate is a bucket:
# "10/10s" holds 10 frames and refills one a second. Defaults leave room for an office or a
# mobile carrier sharing one address, and for a person typing a message a second.
RATELIMIT_WIDGET_SESSION_IP: str = env.str("RATELIMIT_WIDGET_SESSION_IP", default="60/m")
RATELIMIT_WIDGET_SESSION_COMPANY: str = env.str(
    "RATELIMIT_WIDGET_SESSION_COMPANY", default="3000/m"
)
RATELIMIT_WIDGET_CONVERSATION_VISITOR: str = env.str(
    "RATELIMIT_WIDGET_CONVERSATION_VISITOR", default="10/h"
)
RATELIMIT_WIDGET_CONVERSATION_IP: str = env.str(
    "RATELIMIT_WIDGET_CONVERSATION_IP", default="30/10m"
)
RATELIMIT_WIDGET_CONVERSATION_COMPANY: str = env.str(
    "RATELIMIT_WIDGET_CONVERSATION_COMPANY", default="300/m"
)
RATELIMIT_WIDGET_REQUEST_VISITOR: str = env.str("RATELIMIT_WIDGET_REQUEST_VISITOR", default="5/h")
RATELIMIT_WIDGET_REQUEST_IP: str = env.str("RATELIMIT_WIDGET_REQUEST_IP", default="20/h")
RATELIMIT_WIDGET_REQUEST_COMPANY: str = env.str("RATELIMIT_WIDGET_REQUEST_COMPANY", default="600/h")
RATELIMIT_WIDGET_MESSAGE_VISITOR: str = env.str(
    "RATELIMIT_WIDGET_MESSAGE_VISITOR", default="10/10s"
)
RATELIMIT_WIDGET_TYPING_VISITOR: str = env.str("RATELIMIT_WIDGET_TYPING_VISITOR", default="10/10s")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# GeoIP (roadmap item 1): a MaxMind GeoLite2/GeoIP2 City database; unset → default branch.
GEOIP_CITY_DB: str = env.str("GEOIP_CITY_DB", default="")
# Proxies (CIDRs, e.g. "10.0.0.0/8") whose X-Forwarded-For header is believed.
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])
# How long an operator's sockets may all be gone before they are set offline.
PRESENCE_GRACE_SECONDS: int = env.int("PRESENCE_GRACE_SECONDS", default=60)

# Attachments: local files in development; S3-compatible storage when a bucket is configured.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(REPO_DIR / ".data" / "media"))
AWS_STORAGE_BUCKET_NAME: str = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
# Request bodies (messenger/inputs.py answers 413 beyond them, without reading the rest).
# JSON and form bodies: a message is at most 10,000 characters, settings forms are small.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# The largest file an inbox may accept (its own limit is set in the panel, up to this).
ATTACHMENT_MAX_MB = 25
# An upload: the file plus the form data beside it.
UPLOAD_REQUEST_MAX_BYTES = ATTACHMENT_MAX_MB * 1024 * 1024 + DATA_UPLOAD_MAX_MEMORY_SIZE
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The widget's built files (widget-cdn/dist), served at /cdn/ in development.
WIDGET_DIST_DIR: str = env.str("WIDGET_DIST_DIR", default=str(REPO_DIR / "widget-cdn" / "dist"))
# Where sites load the widget's files from: the CDN in production ("https://cdn.<host>/cdn");
# empty serves them from this app's own /cdn/ (development, tests).
WIDGET_CDN_URL: str = env.str("WIDGET_CDN_URL", default="").rstrip("/")
