"""PostgreSQL through DATABASE_URL (django-tenants' backend) and Redis through REDIS_URL."""

from .env import env

DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/messenger", conn_max_age=60
    )
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_messenger")}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the active company (ARCHITECTURE.md, Tenancy).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="m"),
    }
}
