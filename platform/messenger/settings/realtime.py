"""Channels' layer and Celery, both on Redis."""

from .database import DATABASES, REDIS_URL
from .env import env

CHANNEL_LAYERS = {
    "default": {
        # Pub/sub layer: held 500 msg/s at p99 2.7 ms where the core layer saturated
        # (docs/architecture.md, Real time). Ours re-subscribes after a Redis outage and tells the
        # sockets to resync (messenger.channel_layer).
        "BACKEND": "messenger.channel_layer.ResilientPubSubChannelLayer",
        "CONFIG": {
            "hosts": [env.str("CHANNEL_LAYER_URL", default=REDIS_URL)],
            # Redis pub/sub ignores the database number: stacks sharing one Redis server (dev,
            # e2e, benchmarks) would hear each other's `t.<schema>.*` groups without a prefix
            # of their own. The database name tells the stacks apart.
            "prefix": env.str(
                "CHANNEL_LAYER_PREFIX", default=f"asgi.{DATABASES['default']['NAME']}"
            ),
        },
    }
}

# How long a one-time ticket for a visitor's socket or event stream stays valid (seconds).
WIDGET_TICKET_SECONDS: int = env.int("WIDGET_TICKET_SECONDS", default=30)

# Threads (one database connection each) that run socket consumers' ORM work per process.
REALTIME_DB_THREADS = env.int("REALTIME_DB_THREADS", default=6)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict = {
    # Deadlines live in PostgreSQL and `manage.py deadlines_run` fires them; this sweep is the
    # safety net when no runner is deployed (lateness up to its interval then).
    "deadlines": {
        "task": "kernel.deadlines_fire",
        "schedule": env.float("DEADLINE_SWEEP_SECONDS", default=5.0),
        "options": {"expires": 5, "headers": {"_schema_name": "public"}},
    },
    # Staff visits to a company's panel past their time (tenants/console/impersonation.py).
    "staff_access": {
        "task": "console.staff_access_expire",
        "schedule": 60.0,
        "options": {"expires": 60, "headers": {"_schema_name": "public"}},
    },
    # Trial reminders and unpaid subscriptions moving on (billing/trial.py).
    "billing": {
        "task": "billing.tick",
        "schedule": 15 * 60.0,
        "options": {"expires": 15 * 60, "headers": {"_schema_name": "public"}},
    },
}
