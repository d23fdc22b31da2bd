"""End-to-end fixtures: the real product stack in subprocesses, and Debian's Chromium.

`live_stack` (once per session) creates a database of its own on the server of DATABASE_URL,
migrates it with `manage.py migrate_schemas`, and starts uvicorn (ASGI app) and a Celery worker
against it; the email backend writes files into a temporary folder. Everything is stopped and the
database dropped at the end. The tests talk to the product only through the browser, plain HTTP
and `manage.py` subprocesses: they never use pytest-django's `db` fixture.

Chromium resolves `*.localhost` to loopback by itself; Python's resolver does not, so Python HTTP
clients here connect to 127.0.0.1 and send the Host header (`LiveStack.get`).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

from messenger.serve import uvicorn_command

REPO_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS_DIR = REPO_DIR / "test-artifacts" / "e2e"
# Redis databases the e2e Celery broker may use (the unit tests use REDIS_URL's own database).
BROKER_DBS = range(10, 16)
BROKER_LOCK_KEY = "messenger-e2e:broker-lock"
# Bounds for failing only: a loaded machine may take many seconds to start a Python process.
STARTUP_TIMEOUT_S = 120
DEFAULT_TIMEOUT_MS = 10_000
# For a live event that crosses the stack (one browser → server → Redis → another browser): a
# loaded machine may take a while, and waiting costs nothing when it arrives early.
LIVE_MS = 15_000


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium: apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _with_redis_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Email:
    path: Path
    subject: str
    to: str
    body: str


@dataclass
class LiveStack:
    port: int
    env: dict[str, str]
    email_dir: Path
    log_dir: Path
    database: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://localhost:{self.port}"

    def company_url(self, slug: str, path: str = "/") -> str:
        return f"http://{slug}.localhost:{self.port}{path}"

    def get(self, host: str, path: str, **kwargs: object) -> httpx.Response:
        """GET from the server as `host` would be asked (connects to 127.0.0.1)."""
        return httpx.get(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"Host": f"{host}:{self.port}"},
            timeout=10,
            follow_redirects=False,
            **kwargs,
        )  # type: ignore[arg-type]

    def manage(
        self, *args: str, input_text: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `manage.py <args>` against the e2e database."""
        result = subprocess.run(
            [sys.executable, str(REPO_DIR / "manage.py"), *args],
            env=self.env,
            cwd=REPO_DIR,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=STARTUP_TIMEOUT_S + 60,  # a fresh process: its start-up, then its work
        )
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result

    def shell(self, code: str) -> str:
        """Run Python code in `manage.py shell` against the e2e database; its stdout."""
        return self.manage("shell", "-v", "0", "-c", code).stdout

    def staff_create(self, email_address: str, password: str, full_name: str = "Staff") -> None:
        """A platform staff account (public schema), like `createsuperuser`."""
        self.shell(
            "from tenants.accounts.models import User\n"
            f"User.objects.create_superuser({email_address!r}, {password!r}, "
            f"full_name={full_name!r})\n"
        )

    def emails(self) -> list[Email]:
        """Every message the file email backend wrote so far, oldest first."""
        found = []
        for path in sorted(self.email_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # One file per connection; messages are separated by a line of 79 dashes.
            for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                msg = email.message_from_bytes(raw, policy=email.policy.default)
                part = msg.get_body(preferencelist=("plain",))
                body = part.get_content() if part is not None else ""
                found.append(
                    Email(path=path, subject=str(msg["Subject"]), to=str(msg["To"]), body=body)
                )
        return found

    def wait_for_email(self, to: str, timeout: float = 90.0) -> Email:
        """The first email to `to`, polling the email folder (the Celery worker writes it; it
        may still be starting when the ASGI server already answers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.emails():
                if to.lower() in message.to.lower():
                    return message
            self.assert_running()
            time.sleep(0.2)
        raise AssertionError(
            f"No email to {to} within {timeout:.0f} s.\n"
            f"--- celery worker log ---\n{_tail(self.log_dir / 'celery.log')}"
        )

    def assert_running(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(
                    f"{name} exited with {proc.returncode}:\n{_tail(self.log_dir / f'{name}.log')}"
                )

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{_tail(self.log_dir / f'{name}.log')}" for name in self.procs
        )


def _broker_db_lock(redis_url: str) -> tuple[int, redis.Redis]:
    """A Redis database for this run's Celery broker that no other e2e run uses right now."""
    for db in BROKER_DBS:
        client = redis.Redis.from_url(_with_redis_db(redis_url, db))
        if client.set(BROKER_LOCK_KEY, str(os.getpid()), nx=True, ex=900):
            client.delete("celery", "unacked", "unacked_index")  # leftovers of a crashed run
            return db, client
        client.close()
    raise RuntimeError(f"Every Redis database in {list(BROKER_DBS)} is in use by an e2e run")


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    _require_chromium()
    with run_stack(tmp_path_factory) as stack:
        yield stack


@contextlib.contextmanager
def run_stack(
    tmp_path_factory: pytest.TempPathFactory,
    *,
    redis_url: str | None = None,
    name: str = "e2e",
    extra_env: dict[str, str] | None = None,
) -> Iterator[LiveStack]:
    """A stack in a database of its own. `redis_url` (cache, channel layer, presence) defaults
    to REDIS_URL; the Celery broker always takes a free database of REDIS_URL's server.
    `extra_env`: more settings for its processes (the billing test's Stripe keys)."""
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/messenger")
    broker_redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9")
    redis_url = redis_url or broker_redis_url
    database = f"messenger_{name}_{os.getpid()}"
    admin_dsn = _with_database(database_url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    broker_db, broker_lock = _broker_db_lock(broker_redis_url)
    root = tmp_path_factory.mktemp(f"{name}_stack")
    email_dir, log_dir = root / "mail", root / "logs"
    email_dir.mkdir()
    log_dir.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _with_database(database_url, database),
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_URL": redis_url,
        "CELERY_BROKER_URL": _with_redis_db(broker_redis_url, broker_db),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "messenger.settings",
        "DJANGO_DEBUG": "0",
        "SECURE_COOKIES": "0",
        "PUBLIC_SCHEME": "http",
        "PUBLIC_PORT": str(port),
        "BASE_HOST": "localhost",
        "STATIC_MANIFEST": "0",
        "DJANGO_SECRET_KEY": "e2e",
        # Cache keys (rate-limit counters among them) of this run only: signups from
        # 127.0.0.1 in earlier runs must not count against this one.
        "CACHE_KEY_PREFIX": database,
        "FAST_PASSWORD_HASHER": "1",
        # Every visitor here comes from 127.0.0.1 and one test fills a long history through
        # the widget API at once (60 messages): per-visitor messages get room for that.
        "RATELIMIT_WIDGET_MESSAGE_VISITOR": "100/10s",
        # Stock file backend, but its folder from EMAIL_FILE_PATH (see tests/e2e/mail.py).
        "EMAIL_BACKEND": "tests.e2e.mail.EmailBackend",
        "EMAIL_FILE_PATH": str(email_dir),
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "0",
        "DEMO_PAGE": "1",  # /demo/ (off in production, where DEBUG is off too)
        "PYTHONPATH": os.pathsep.join([str(REPO_DIR), str(REPO_DIR / "platform")]),
        **(extra_env or {}),
    }
    env.pop("CSRF_TRUSTED_ORIGINS", None)
    stack = LiveStack(port=port, env=env, email_dir=email_dir, log_dir=log_dir, database=database)
    try:
        stack.manage("migrate_schemas", "--noinput", "-v", "0")
        commands = {
            "uvicorn": uvicorn_command(port, quiet=True),
            "celery": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "messenger",
                "worker",
                "-l",
                "warning",
                "--concurrency",
                "1",
                "-n",
                f"{name}{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            "deadlines": [sys.executable, str(REPO_DIR / "manage.py"), "deadlines_run"],
        }
        for name, command in commands.items():
            with open(log_dir / f"{name}.log", "wb") as log:
                stack.procs[name] = subprocess.Popen(
                    command,
                    env=env,
                    cwd=REPO_DIR,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        _wait_healthy(stack)
        yield stack
    finally:
        for proc in stack.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in stack.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        broker_lock.delete(
            "celery",
            "unacked",
            "unacked_index",
            *broker_lock.scan_iter("_kombu.*"),
            BROKER_LOCK_KEY,
        )
        broker_lock.close()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_healthy(stack: LiveStack) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        stack.assert_running()
        try:
            if stack.get("localhost", "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/healthz did not answer within {STARTUP_TIMEOUT_S} s\n{stack.logs()}")


# --- Browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Screenshots:
    """Numbered screenshots of a test's steps in test-artifacts/e2e/<test name>/NN-step.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, step: str) -> Path:  # type: ignore[no-untyped-def]
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Screenshots:
    """`shot(page, "step name")` saves the page as the test's next numbered screenshot."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Screenshots(ARTIFACTS_DIR / name)


@pytest.fixture
def new_context(browser):  # type: ignore[no-untyped-def]
    """Factory of fresh browser contexts (own cookies, like another person's browser)."""
    contexts = []

    def make():  # type: ignore[no-untyped-def]
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):  # type: ignore[no-untyped-def]
    return new_context().new_page()


# --- Demo company and panel login (real-time dialogs tests) --------------------------------------

DEMO_SLUG = "demo"
DEMO_ADMIN_EMAIL = "admin@demo.local"
DEMO_PASSWORD = "demo-chat-2026"


@pytest.fixture(scope="session")
def demo_company(live_stack: LiveStack) -> LiveStack:
    """`demo_seed()` once per session: company `demo` whose inbox allows localhost, its admin
    admin@demo.local and operators (password demo-chat-2026). The demo page /demo/ serves it."""
    live_stack.shell("from inboxes.demo import demo_seed\ndemo_seed()\n")
    return live_stack


def panel_login(
    page,
    stack: LiveStack,
    email: str = DEMO_ADMIN_EMAIL,  # type: ignore[no-untyped-def]
    password: str = DEMO_PASSWORD,
    slug: str = DEMO_SLUG,
) -> None:
    """Log `page` into the company's panel; it lands on /dialogs/."""
    page.goto(stack.company_url(slug, "/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("form:has(#id_password) button[type=submit]")  # not the language switch's
    page.wait_for_url(stack.company_url(slug, "/dialogs/"))


def panel_online(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the operator on `page` takes chats: the panel's socket is open and the server
    has set them online (just after it accepted the socket), so a widget opened now is online."""
    page.wait_for_function(
        "() => window.MessengerPanel && window.MessengerPanel.connected()", timeout=LIVE_MS
    )
    page.wait_for_function(
        "async () => (await (await fetch('/api/v1/me')).json()).status === 'online'",
        polling=200,
        timeout=LIVE_MS,
    )


@pytest.fixture(autouse=True)
def _demo_clean_slate(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests share the session's demo company: each starts with no open dialog and everyone
    offline, so badges, queues and assignments do not depend on which test ran before."""
    if "demo_company" in request.fixturenames:
        stack = request.getfixturevalue("demo_company")
        stack.shell(
            "from django_tenants.utils import schema_context\n"
            "from inboxes.models import Conversation\n"
            "from tenants.accounts.models import User\n"
            "with schema_context('co_demo'):\n"
            "    Conversation.objects.exclude(status='closed').update(\n"
            "        status='closed', assignee=None, queued_at=None)\n"
            "    User.objects.update(status='offline')\n"
        )
    yield
