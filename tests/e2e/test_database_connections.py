"""PostgreSQL connections of a running ASGI server stay within its pool's bound under load,
and a database that refuses clients gets a clear 503, never a 500 or a debug page.

Each test starts its own uvicorn process against the e2e stack's database (so the bound and
the database settings are the test's own) and counts that process's connections in
`pg_stat_activity` by their application name.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

from messenger.serve import uvicorn_command
from tests.e2e.conftest import DEMO_SLUG, REPO_DIR, LiveStack, _free_port, _tail

POOL_MAX = 4
SOCKETS = 300
CONCURRENT_REQUESTS = 100


@contextmanager
def _server(stack: LiveStack, log: Path, **env: str) -> Iterator[int]:
    """A uvicorn of the product on a free port with `env` added; its port once it answers."""
    port = _free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            uvicorn_command(port),
            env={**stack.env, **env},
            cwd=REPO_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"uvicorn exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"uvicorn did not answer within 60 s:\n{_tail(log)}")
            time.sleep(0.1)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _admin_dsn(stack: LiveStack) -> str:
    parts = urlsplit(stack.env["DATABASE_URL"])
    user, port = parts.username or "postgres", parts.port or 5432
    return f"postgresql://{user}@{parts.hostname}:{port}/postgres"


class ConnectionSampler:
    """Counts an application's connections to the stack's database every 20 ms."""

    def __init__(self, stack: LiveStack, application: str) -> None:
        self.stack, self.application = stack, application
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._conn = psycopg.connect(_admin_dsn(stack), autocommit=True)
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (self.stack.database, self.application),
        ).fetchone()
        return int(row[0]) if row else 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.count())
            self._stop.wait(0.02)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def close(self) -> None:
        self._conn.close()


def _session_key(stack: LiveStack) -> str:
    """A signed-in panel session of the demo admin (the `msid` cookie's value)."""
    return stack.shell(
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        "from django_tenants.utils import schema_context\n"
        "from tenants.accounts.models import User\n"
        "with schema_context('co_demo'):\n"
        "    user = User.objects.get(email='admin@demo.local')\n"
        "    s = SessionStore()\n"
        "    s[SESSION_KEY] = str(user.pk)\n"
        "    s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend'\n"
        "    s[HASH_SESSION_KEY] = user.get_session_auth_hash()\n"
        "    s.create()\n"
        "    print(s.session_key)\n"
    ).strip()


async def _load(port: int, session_key: str) -> dict[str, int]:
    """100 concurrent panel requests (three rounds) while 300 operator sockets open, ping and
    ask for a conversation list; the count of each answer's status."""
    from websockets.asyncio.client import connect

    host = f"{DEMO_SLUG}.localhost:{port}"
    cookies = {"msid": session_key}
    statuses: dict[str, int] = {}

    def tally(key: str) -> None:
        statuses[key] = statuses.get(key, 0) + 1

    async def socket_user() -> None:
        # A browser reconnects when a handshake fails on a busy machine; so does this client,
        # twice at most (the bound is what is tested, not the handshake's luck).
        for attempt in range(3):
            try:
                await socket_session()
                tally("socket ok")
                return
            except Exception as exc:
                if attempt == 2:
                    tally(f"socket {type(exc).__name__}")
                await asyncio.sleep(0.5)

    async def socket_session() -> None:
        async with connect(
            f"ws://{host}/ws/panel/",
            host="127.0.0.1",
            port=port,
            proxy=None,
            origin=f"http://{host}",  # type: ignore[arg-type]
            additional_headers={"Cookie": f"msid={session_key}"},
            open_timeout=60,
            ping_interval=None,
        ) as ws:
            await ws.send('{"type":"ping","t":1}')
            while True:
                frame = await asyncio.wait_for(ws.recv(), 60)
                if '"pong"' in str(frame):
                    break
            await ws.send('{"type":"resume","conversation_id":1,"after":0}')
            await asyncio.wait_for(ws.recv(), 60)

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Host": host},
        cookies=cookies,
        timeout=60,
        limits=httpx.Limits(max_connections=CONCURRENT_REQUESTS),
    ) as client:

        async def request(path: str) -> None:
            # A kept-alive connection the server closes as the request goes out fails in
            # transport (ReadError, RemoteProtocolError); browsers retry such an idempotent GET,
            # and so does this client, twice at most. Every answer the server gives counts.
            for attempt in range(3):
                try:
                    tally(str((await client.get(path)).status_code))
                    return
                except httpx.TransportError as exc:
                    if attempt == 2:
                        tally(type(exc).__name__)
                except httpx.HTTPError as exc:
                    tally(type(exc).__name__)
                    return

        sockets = asyncio.gather(*(socket_user() for _ in range(SOCKETS)))
        for _ in range(3):
            await asyncio.gather(
                *(
                    request("/api/v1/conversations" if i % 2 else "/dialogs/")
                    for i in range(CONCURRENT_REQUESTS)
                )
            )
        await sockets
    return statuses


def test_server_connections_never_pass_the_pool_bound_under_requests_and_sockets(
    demo_company: LiveStack, tmp_path: Path
) -> None:
    stack = demo_company
    application = f"conn-test-{os.getpid()}"
    session_key = _session_key(stack)
    sampler = ConnectionSampler(stack, application)
    try:
        with _server(
            stack,
            tmp_path / "uvicorn.log",
            DB_POOL_MAX_SIZE=str(POOL_MAX),
            DB_POOL_MIN_SIZE="1",
            DB_POOL_TIMEOUT="60",
            REALTIME_DB_THREADS="3",
            DB_APPLICATION_NAME=application,
        ) as port:
            with sampler:
                statuses = asyncio.run(_load(port, session_key))
            assert statuses.get("200", 0) == 3 * CONCURRENT_REQUESTS, statuses
            assert statuses.get("socket ok", 0) == SOCKETS, statuses
            assert sampler.samples, "no sample of pg_stat_activity was taken"
            assert max(sampler.samples) <= POOL_MAX, (
                f"the server held {max(sampler.samples)} connections (bound {POOL_MAX})"
            )
            assert max(sampler.samples) >= 1  # the sampler saw the server's connections at all
            # Afterwards the server keeps at most its bound, idle in the pool.
            assert sampler.count() <= POOL_MAX
        # Stopped: every connection it had is gone.
        deadline = time.monotonic() + 30
        while sampler.count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sampler.count() == 0
    finally:
        sampler.close()


def test_a_database_that_refuses_clients_gets_a_clear_503_page_and_json_even_in_debug(
    live_stack: LiveStack, tmp_path: Path
) -> None:
    refused = f"postgres://postgres@127.0.0.1:{_free_port()}/nothing_listens_here"
    log = tmp_path / "uvicorn.log"
    with _server(
        live_stack,
        log,
        DATABASE_URL=refused,
        DJANGO_DEBUG="1",
        DB_POOL_TIMEOUT="2",
        LOG_LEVEL="WARNING",
    ) as port:
        host = {"Host": f"somecompany.localhost:{port}"}
        page = httpx.get(f"http://127.0.0.1:{port}/login/", headers=host, timeout=30)
        api = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/conversations",
            headers={**host, "Accept": "application/json"},
            timeout=30,
        )
        widget = httpx.get(
            f"http://127.0.0.1:{port}/widget/v1/inboxes/pk_x/config",
            headers={"Host": f"localhost:{port}"},
            timeout=30,
        )
    assert page.status_code == 503, page.text[:500]
    assert "Temporarily unavailable" in page.text
    assert "Traceback" not in page.text and "DATABASES" not in page.text
    assert page.headers["Retry-After"]
    assert api.status_code == 503
    assert "try again" in api.json()["detail"]
    assert widget.status_code == 503
    assert "try again" in widget.json()["detail"]
    assert "database unavailable" in log.read_text(errors="replace")
