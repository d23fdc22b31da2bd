"""Tenant isolation through every entry point: HTTP, API, sessions, Celery, cache, raw Redis."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from messenger.redis_keys import redis_client, tenant_key
from tenants.organization.models import Branch, Invitation
from tenants.organization.services import branch_create
from tests.factories import PASSWORD
from tests.processes import database_url, wait_for

pytestmark = pytest.mark.django_db


def test_branch_written_as_one_company_is_invisible_to_the_other(acme, globex):
    acme.login().post(
        "/settings/branches/",
        {"name": "Secret Lab", "region": "", "timezone": "UTC", "is_active": "on"},
    )
    assert "Secret Lab" in acme.login().get("/settings/branches/").content.decode()
    assert "Secret Lab" not in globex.login().get("/settings/branches/").content.decode()
    api = globex.login().get("/api/v1/branches").json()
    assert "Secret Lab" not in [b["name"] for b in api]


def test_an_id_of_another_company_is_a_404(acme, globex):
    with schema_context(globex.company.schema_name):
        only_in_globex = branch_create(name="Globex only", region="", timezone_name="UTC")
    with schema_context(acme.company.schema_name):
        assert not Branch.objects.filter(pk=only_in_globex.pk).exists()
    assert acme.login().get(f"/settings/branches/{only_in_globex.pk}/").status_code == 404
    assert globex.login().get(f"/settings/branches/{only_in_globex.pk}/").status_code == 200


def test_a_session_of_one_company_is_worthless_on_another_host(acme, globex):
    client = acme.login()
    assert client.get("/dialogs/", HTTP_HOST=acme.host).status_code == 200
    response = client.get("/dialogs/", HTTP_HOST=globex.host)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/me", HTTP_HOST=globex.host).status_code == 401


def test_credentials_of_one_company_do_not_log_in_on_another(acme, globex):
    response = globex.client().post("/login/", {"username": acme.admin_email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in globex.client().session


def test_an_unknown_company_host_is_a_friendly_404(db, client):
    response = client.get("/login/", HTTP_HOST="nobody.localhost")
    assert response.status_code == 404
    assert "There is no company here" in response.content.decode()


def test_cache_keys_carry_the_company_schema(acme, globex):
    with schema_context(acme.company.schema_name):
        cache.set("greeting", "acme's secret", 30)
        assert cache.get("greeting") == "acme's secret"
    with schema_context(globex.company.schema_name):
        assert cache.get("greeting") is None
    with schema_context(acme.company.schema_name):
        cache.delete("greeting")


def test_raw_redis_keys_carry_the_company_schema(acme, globex):
    with schema_context(acme.company.schema_name):
        key_a = tenant_key("presence", 1)
        redis_client().set(key_a, "online", ex=30)
    with schema_context(globex.company.schema_name):
        key_b = tenant_key("presence", 1)
        assert redis_client().get(key_b) is None
    assert key_a == "t:co_acme:presence:1" and key_b == "t:co_globex:presence:1"
    redis_client().delete(key_a)


def test_raw_redis_key_is_refused_without_an_active_schema():
    try:
        connection.schema_name = ""
        with pytest.raises(RuntimeError):
            tenant_key("presence", 1)
    finally:
        connection.set_schema_to_public()


def test_a_celery_task_runs_in_the_schema_it_was_sent_from(worlds, tmp_path, settings):
    """A real worker process on the Redis broker; both companies hold invitation #1."""
    import os
    import subprocess
    import sys

    from messenger.celery import app
    from tenants.organization.tasks import invitation_email_send

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    queue = f"isolation-{os.getpid()}"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "messenger",
            "worker",
            "-P",
            "solo",
            "-Q",
            queue,
            "-l",
            "warning",
            "-n",
            f"{queue}@%h",
        ],
        env=env,
    )
    app.conf.task_always_eager = False
    try:
        for slug in ("acme", "globex"):
            with schema_context(worlds[slug].company.schema_name):
                invitation = Invitation.objects.get(email="invited@example.com")
                invitation_email_send.apply_async(
                    args=[invitation.pk, f"https://{slug}.localhost/invite/t/"], queue=queue
                )
        # the worker takes the messages once it has started, however long that takes
        wait_for(lambda: len(list(tmp_path.iterdir())) >= 2, what="both invitation emails")
    finally:
        app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=20)
    bodies = sorted(p.read_text() for p in tmp_path.iterdir())
    assert len(bodies) == 2
    by_company = {
        ("Acme" in b and "acme.localhost" in b, "Globex" in b and "globex.localhost" in b)
        for b in bodies
    }
    assert by_company == {(True, False), (False, True)}
