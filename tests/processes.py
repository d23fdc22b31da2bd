"""Helpers for tests that start product processes (deadline runner, Celery worker).

A process of the product may take many seconds to start on a loaded machine, so these tests
poll for what they wait for, with a bound that only decides when to give up, and never assume
how long a start takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.db import connections

# Only how long to wait before failing: a condition met sooner ends the wait at once.
PROCESS_START_TIMEOUT_S = 120.0


def database_url() -> str:
    """DATABASE_URL of the test database, for a child process (TCP or a socket directory)."""
    db = connections["default"].settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@{quote(host, safe='')}/{db['NAME']}"
    return f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(
    condition: Callable[[], bool],
    *,
    what: str,
    timeout: float = PROCESS_START_TIMEOUT_S,
    interval: float = 0.1,
) -> None:
    """Poll `condition` until it holds; fail saying `what` did not happen within `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)
