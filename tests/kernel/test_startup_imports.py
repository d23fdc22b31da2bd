"""What a process of the product loads at start: heavy libraries only where they are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The ASGI app with both URL configurations loaded (every view, service and API schema
# imported), before any request; then what `celery -A messenger` finds, and its broker.
PROBE = """
import json, sys
import messenger.asgi
from django.conf import settings
from django.urls import get_resolver
get_resolver(settings.ROOT_URLCONF).url_patterns
get_resolver(settings.PUBLIC_SCHEMA_URLCONF).url_patterns
loaded = sorted(
    name
    for name in (
        "celery", "kombu", "tenant_schemas_celery", "sentry_sdk", "markdown_it", "redis",
        "channels_redis",
    )
    if name in sys.modules
)
from celery.app.utils import find_app
import messenger.celery
app = find_app("messenger")
print(json.dumps({
    "loaded": loaded,
    "app_found": app is messenger.celery.app,
    "broker_is_configured": app.conf.broker_url == settings.CELERY_BROKER_URL,
}))
"""


def test_a_web_process_loads_neither_celery_nor_sentry_until_it_needs_them():
    # given a process without SENTRY_DSN
    env = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    env["DJANGO_SETTINGS_MODULE"] = "messenger.settings"
    # when it loads the ASGI app and every URL (every view, service and API schema)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    # then Celery, Sentry, the Markdown parser and the Redis clients are not loaded: no task,
    # error, message or request has used them yet
    assert result["loaded"] == []
    # and `celery -A messenger` still finds the app, configured from the Django settings
    assert result["app_found"] and result["broker_is_configured"]
