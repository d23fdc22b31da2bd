"""Liveness (/healthz) and readiness (/readyz) answered before tenant resolution, on any host."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


def check_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    # redis-py is imported here, on the first /readyz, not with this module: every process
    # that loads the middleware (system checks, the ASGI app before its first request) would
    # pay for its 60 modules otherwise.
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


CHECKS: dict[str, Callable[[], None]] = {"postgres": check_postgres, "redis": check_redis}


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every dependency check; return overall readiness and a status per dependency."""
    report: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready", with its reason
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            report[name] = {"ok": True}
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return all(item["ok"] for item in report.values()), report


class HealthMiddleware:
    """Answers the probes first, so they need no Host, tenant, session or database for /healthz."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            ok, report = readiness()
            return JsonResponse(
                {"status": "ok" if ok else "unavailable", "checks": report},
                status=200 if ok else 503,
            )
        return self.get_response(request)
