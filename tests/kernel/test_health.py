"""Liveness and readiness probes."""

import pytest

from messenger import health


def test_healthz_answers_ok_on_any_host(client):
    response = client.get("/healthz", HTTP_HOST="no-such-company.localhost")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_each_dependency_when_all_are_up(client):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["postgres"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_and_names_redis_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"]["ok"] is False
    assert "Connection" in body["checks"]["redis"]["error"]
    assert body["checks"]["postgres"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_503_when_postgres_check_fails(client, monkeypatch):
    def broken() -> None:
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "postgres", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["postgres"] == {
        "ok": False,
        "error": "OSError: connection refused",
        "ms": response.json()["checks"]["postgres"]["ms"],
    }
