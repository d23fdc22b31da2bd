"""PostgreSQL through DATABASE_URL (django-tenants' backend) and Redis through REDIS_URL.

How many connections a process may hold (docs/database-connections.md):
- the ASGI server (`messenger.asgi` turns DB_POOL on) runs each HTTP request on a thread of its
  own and socket work on REALTIME_DB_THREADS threads; a persistent connection per thread leaked
  one connection per finished thread until PostgreSQL refused every company. It borrows from a
  psycopg pool of at most DB_POOL_MAX_SIZE connections instead, and gives each back when the
  request or socket call ends; a caller that waits longer than DB_POOL_TIMEOUT gets a 503.
- single-threaded processes (Celery prefork children, the deadline runner's threads, commands)
  keep one persistent connection per thread (CONN_MAX_AGE), without a pool.
"""

from .env import env

DB_POOL: bool = env.bool("DB_POOL", default=False)
DB_POOL_MIN_SIZE: int = env.int("DB_POOL_MIN_SIZE", default=2)
DB_POOL_MAX_SIZE: int = env.int("DB_POOL_MAX_SIZE", default=10)
DB_POOL_TIMEOUT: float = env.float("DB_POOL_TIMEOUT", default=10.0)

DATABASES = {
    "default": env.dj_db_url(
        "DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/messenger",
        conn_max_age=0 if DB_POOL else 60,
    )
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"].setdefault("OPTIONS", {})
# Names the process in pg_stat_activity (web, worker, runner), for operators and the tests.
DATABASES["default"]["OPTIONS"]["application_name"] = env.str(
    "DB_APPLICATION_NAME", default="messenger"
)
if DB_POOL:
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": min(DB_POOL_MIN_SIZE, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": DB_POOL_TIMEOUT,
        "name": "messenger",
    }
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_messenger")}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

REDIS_URL: str = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the active company (docs/architecture.md, Tenancy).
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="m"),
    }
}
