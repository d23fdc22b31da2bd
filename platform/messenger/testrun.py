"""Run the test suite against configured or embedded PostgreSQL and Redis.

    python -m messenger.testrun [pytest arguments]

DATABASE_URL / REDIS_URL are used when set; otherwise embedded servers are started for the run.
"""

from __future__ import annotations

import os
import subprocess
import sys

from messenger.devrun import child_env
from messenger.devservers import REPO_DIR, ensure_services


def main() -> int:
    services = ensure_services("messenger_test_base")
    env = child_env(services)
    env["DJANGO_DEBUG"] = "0"
    env.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
    env["FAST_PASSWORD_HASHER"] = "1"
    env["STATIC_MANIFEST"] = "0"
    env["CELERY_TASK_ALWAYS_EAGER"] = "1"  # a test that needs a real worker starts one
    env.setdefault("LOG_LEVEL", "WARNING")
    command = [sys.executable, "-m", "pytest", *sys.argv[1:]]
    return subprocess.call(command, cwd=REPO_DIR, env=env)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "messenger.settings")
    sys.exit(main())
