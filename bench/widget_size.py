#!/usr/bin/env python
"""Benchmark: what the chat widget costs a visitor, in bytes and in time.

    python bench/widget_size.py            # sizes + 10 cold page loads in headless Chromium
    python bench/widget_size.py --quick    # sizes + 3 page loads (the browser part is skipped,
                                           # with a note, when it would exceed a minute)
    python bench/widget_size.py --json     # also one JSON object with every figure, last line
    python bench/widget_size.py --no-browser

Sizes (deterministic): every file in widget-cdn/dist (built first when missing) raw, gzip -9
and brotli q11; what a visitor downloads before touching the chat (the snippet's loader.js and
the inbox config JSON: 2 requests) and what opening the chat adds (the frame page, widget.js;
the styles are inside widget.js) plus the emoji chunk, loaded only when its picker opens.
Budgets: loader ≤ 2 KB brotli; before interaction ≤ 10 KB brotli in ≤ 2 requests; the whole
chat UI ≤ 40 KB brotli.

Timings (need a running product): a fresh database on the server of DATABASE_URL (embedded
servers when unset), `migrate_schemas`, the demo company, uvicorn, and a plain "customer site"
page with the snippet on another origin (127.0.0.1). In headless Chromium (/usr/bin/chromium),
each run in a fresh browser context (cold cache): navigation → launcher in the page, and click →
the chat's input enabled (session created, socket opening). Also counted: requests to the
Messenger host before the first interaction. bench/README.md has the details.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]
sys.path[:0] = [p for p in SOURCE_ROOTS if p not in sys.path]

from _stack import database_url_for, free_port  # noqa: E402

from messenger.serve import uvicorn_command  # noqa: E402

WIDGET_DIR = REPO_DIR / "widget-cdn"
DIST_DIR = Path(os.environ.get("WIDGET_DIST_DIR", WIDGET_DIR / "dist"))
FRAME_TEMPLATE = REPO_DIR / "platform" / "messenger" / "templates" / "widget" / "frame.html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BENCH_DB = "messenger_bench_widget"

KB = 1024
BUDGET_LOADER_BR = 2 * KB
BUDGET_BEFORE_BR = 10 * KB
BUDGET_BEFORE_REQUESTS = 2
BUDGET_FULL_BR = 40 * KB
QUICK_BROWSER_LIMIT_S = 60.0

# The config JSON the loader fetches, as inboxes/widget_api/api.py:inbox_config builds it for
# the demo inbox (model defaults; Russian greeting). The browser part measures the real one.
SAMPLE_CONFIG = {
    "name": "Сайт",
    "greeting": "Здравствуйте! Чем можем помочь?",
    "language": "ru",
    "color": "#3b5bfd",
    "position": "right",
    "load_mode": "interaction",
    "load_delay_seconds": 10,
    "rating_scale": "stars",
    "attachments": {"max_mb": 10, "kinds": ["image", "pdf", "office", "text"]},
    "offline_title": {"ru": "Сейчас никого нет на месте", "en": "Nobody is here right now"},
    "offline_message": {
        "ru": "Оставьте заявку — мы свяжемся с вами.",
        "en": "Leave a request and we will get back to you.",
    },
}
SAMPLE_KEY = "pk_" + "x" * 24  # "pk_" + secrets.token_urlsafe(18)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- sizes ----------------------------------------------------------------------------------------


def brotli_size(data: bytes) -> int:
    try:
        import brotli
    except ImportError:  # Node's zlib has the same encoder
        script = (
            "const z=require('zlib');const b=require('fs').readFileSync(0);"
            "process.stdout.write(String(z.brotliCompressSync(b,{params:{"
            "[z.constants.BROTLI_PARAM_QUALITY]:11}}).length))"
        )
        done = subprocess.run(["node", "-e", script], input=data, capture_output=True, check=True)
        return int(done.stdout)
    return len(brotli.compress(data, quality=11))


@dataclass
class Size:
    name: str
    raw: int
    gzip: int
    br: int

    @classmethod
    def of(cls, name: str, data: bytes) -> Size:
        return cls(name, len(data), len(gzip.compress(data, 9, mtime=0)), brotli_size(data))


def sizes_sum(name: str, parts: list[Size]) -> Size:
    return Size(name, *(sum(getattr(p, a) for p in parts) for a in ("raw", "gzip", "br")))


def dist_ensure(rebuild: bool) -> dict[str, str]:
    """The build's manifest, building widget-cdn first when dist/ is missing (or asked to)."""
    manifest = DIST_DIR / "manifest.json"
    if rebuild or not manifest.exists():
        if not (WIDGET_DIR / "node_modules").exists():
            log("npm ci in widget-cdn/")
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=WIDGET_DIR, check=True
            )
        log("npm run build in widget-cdn/")
        subprocess.run(
            ["npm", "run", "--silent", "build"],
            cwd=WIDGET_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return json.loads(manifest.read_text())


def frame_html(widget_js: str, key: str = SAMPLE_KEY, language: str = "ru") -> bytes:
    """The chat frame page as inboxes/widget_api/cdn.py:frame_view renders it."""
    from django.template import Context, Engine

    template = Engine().from_string(FRAME_TEMPLATE.read_text())
    return template.render(
        Context({"public_key": key, "widget_js": widget_js, "language": language})
    ).encode()


def phase_sizes(report: Report, manifest: dict[str, str]) -> None:
    files = {
        logical: Size.of(name, (DIST_DIR / name).read_bytes()) for logical, name in manifest.items()
    }
    config = Size.of("config JSON", json.dumps(SAMPLE_CONFIG, ensure_ascii=False).encode())
    frame = Size.of("frame HTML", frame_html(manifest["widget.js"]))
    before = sizes_sum("before interaction", [files["loader.js"], config])
    opened = sizes_sum("opening the chat", [frame, files["widget.js"]])
    full = sizes_sum("whole chat UI", [frame, *(s for k, s in files.items() if k != "loader.js")])
    report.sizes = [*files.values(), config, frame, before, opened, full]
    report.figures["sizes"] = {s.name: s.__dict__ for s in report.sizes}
    report.figures["manifest"] = manifest
    report.figures["requests_before_interaction_static"] = 2  # loader.js + config (by design)

    loader = files["loader.js"]
    report.add(
        "loader.js (brotli)",
        f"{loader.br} B",
        f"≤ {BUDGET_LOADER_BR} B",
        loader.br <= BUDGET_LOADER_BR,
    )
    report.add(
        "before interaction: loader + config (brotli)",
        f"{before.br} B",
        f"≤ {BUDGET_BEFORE_BR} B",
        before.br <= BUDGET_BEFORE_BR,
    )
    report.add("opening the chat: frame + widget.js (brotli)", f"{opened.br} B")
    report.add(
        "whole chat UI incl. emoji chunk (brotli)",
        f"{full.br} B",
        f"≤ {BUDGET_FULL_BR} B",
        full.br <= BUDGET_FULL_BR,
    )


# --- the product, running -------------------------------------------------------------------------


def database_recreate(url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin = database_url_for(url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def site_page(base: str, key: str) -> bytes:
    """A plain customer page: some content and the snippet from the inbox settings."""
    paragraphs = "\n".join(
        f"<p>Paragraph {i}: we sell and deliver things; this text makes the page scroll.</p>"
        for i in range(60)
    )
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Shop</title>"
        f"<meta name=viewport content='width=device-width, initial-scale=1'></head>"
        f"<body style='font-family:sans-serif;max-width:720px;margin:40px auto'>"
        f"<h1>Customer shop</h1>{paragraphs}"
        f'<script async src="{base}/cdn/loader.js" data-messenger-key="{key}"></script>'
        f"</body></html>"
    ).encode()


@contextmanager
def site_server(host: str, page: bytes) -> Iterator[str]:
    """Serve `page` at http://host:port/ from a thread; yields the URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Product:
    port: int
    env: dict[str, str]
    key: str

    @property
    def base(self) -> str:
        return f"http://localhost:{self.port}"


@contextmanager
def product_running(db_name: str, deadline: float) -> Iterator[Product]:
    """Fresh database, migrated, with the demo company; uvicorn on a free port."""
    from messenger.devservers import DATA_DIR, ensure_services

    if not os.environ.get("DATABASE_URL"):
        log("DATABASE_URL is unset: starting the embedded PostgreSQL and Redis")
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    services = ensure_services(db_name)
    database_recreate(services["DATABASE_URL"], db_name)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for(services["DATABASE_URL"], db_name),
        "REDIS_URL": services["REDIS_URL"],
        "DJANGO_SETTINGS_MODULE": "messenger.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench",
        "SECURE_COOKIES": "0",
        "PUBLIC_SCHEME": "http",
        "PUBLIC_PORT": str(port),
        "BASE_HOST": "localhost",
        "STATIC_MANIFEST": "0",
        "FAST_PASSWORD_HASHER": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": f"bench-{db_name}",
        "WIDGET_DIST_DIR": str(DIST_DIR),
        "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(REPO_DIR / "manage.py"), *args],
            env=env,
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    uvicorn = None
    with tempfile.TemporaryFile() as server_log:  # read only when uvicorn dies
        try:
            log("migrating a fresh database")
            manage("migrate_schemas", "--noinput", "-v", "0")
            key = (
                manage(
                    "shell",
                    "-v",
                    "0",
                    "-c",
                    (
                        "from inboxes.demo import demo_seed\n"
                        "from django_tenants.utils import schema_context\n"
                        "from tenants.companies.models import Company\n"
                        "from inboxes.models import Inbox\n"
                        "from tenants.accounts.models import User\n"
                        "demo_seed()\n"
                        "with schema_context(Company.objects.get(slug='demo').schema_name):\n"
                        "    # As if operators had the panel open: the chat view, not the form.\n"
                        "    User.objects.update(status='online')\n"
                        "    print(Inbox.objects.get().public_key)\n"
                    ),
                )
                .strip()
                .splitlines()[-1]
            )
            uvicorn = subprocess.Popen(
                uvicorn_command(port, quiet=True),
                env=env,
                cwd=REPO_DIR,
                stdout=server_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            import httpx

            while True:
                if uvicorn.poll() is not None:
                    server_log.seek(0)
                    raise RuntimeError("uvicorn exited: " + server_log.read().decode()[-2000:])
                try:
                    if (
                        httpx.get(
                            f"http://127.0.0.1:{port}/healthz",
                            timeout=2,
                            headers={"Host": f"localhost:{port}"},
                        ).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("the server did not start in time")
                time.sleep(0.1)
            yield Product(port=port, env=env, key=key)
        finally:
            if uvicorn is not None and uvicorn.poll() is None:
                os.killpg(uvicorn.pid, signal.SIGTERM)
                try:
                    uvicorn.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(uvicorn.pid, signal.SIGKILL)
            database_recreate(services["DATABASE_URL"], db_name, drop_only=True)


LAUNCHER_WATCH = """
new MutationObserver((_, observer) => {
  if (document.querySelector('messenger-chat')) {
    window.__launcherAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""


def browser_runs(product: Product, runs: int) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results = []
    page_bytes = site_page(product.base, product.key)
    with site_server("127.0.0.1", page_bytes) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for run in range(runs + 1):  # the first run warms the server up and is not counted
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.add_init_script(LAUNCHER_WATCH)
                requests: list[tuple[str, int]] = []

                def finished(request: Any, into: list[tuple[str, int]] = requests) -> None:
                    into.append((request.url, request.sizes().get("responseBodySize", 0)))

                page.on("requestfinished", finished)
                page.goto(url)
                host = page.locator("messenger-chat")
                host.wait_for(state="visible", timeout=15_000)
                launcher_ms = page.evaluate("window.__launcherAt")
                page.wait_for_timeout(300)  # anything else the loader would fetch on its own
                before = [(u, n) for u, n in requests if u.startswith(product.base)]
                clicked_at = page.evaluate("performance.timeOrigin + performance.now()")
                host.click()
                frame = None
                while frame is None:
                    frame = next((f for f in page.frames if "/widget/frame/" in f.url), None)
                    if frame is None:
                        page.wait_for_timeout(5)
                ready_at = frame.wait_for_function(
                    "() => { const el = document.querySelector('textarea.input');"
                    " const offline = document.querySelector('.offline input');"
                    " return (el && !el.disabled || offline)"
                    " && performance.timeOrigin + performance.now(); }",
                    polling="raf",
                    timeout=15_000,
                ).json_value()
                if run:
                    results.append(
                        {
                            "launcher_ms": launcher_ms,
                            "usable_ms": ready_at - clicked_at,
                            "requests_before": len(before),
                            "bytes_before": sum(n for _, n in before),
                        }
                    )
                context.close()
        finally:
            browser.close()
    return results


def phase_browser(report: Report, runs: int, quick: bool, db_name: str) -> None:
    if not CHROMIUM.exists():
        report.notes.append(f"browser timings skipped: {CHROMIUM} is absent")
        return
    started = time.monotonic()
    limit = QUICK_BROWSER_LIMIT_S if quick else 600.0
    try:
        with product_running(db_name, deadline=started + limit * 0.7) as product:
            log(f"server up after {time.monotonic() - started:.1f} s; {runs} browser runs")
            results = browser_runs(product, runs)
    except TimeoutError as exc:
        if not quick:
            raise
        report.notes.append(
            f"browser timings skipped under --quick: {exc} "
            f"(over the {QUICK_BROWSER_LIMIT_S:.0f} s budget); run without --quick"
        )
        return
    report.figures["browser_setup_and_runs_s"] = round(time.monotonic() - started, 1)
    launcher = [r["launcher_ms"] for r in results]
    usable = [r["usable_ms"] for r in results]
    requests = max(r["requests_before"] for r in results)
    report.figures["browser"] = {
        "runs": results,
        "launcher_visible_ms": {"median": statistics.median(launcher), "max": max(launcher)},
        "chat_usable_ms": {"median": statistics.median(usable), "max": max(usable)},
    }
    report.add(
        "navigation → launcher visible (median / max)",
        f"{statistics.median(launcher):.0f} / {max(launcher):.0f} ms",
    )
    report.add(
        "click → chat input enabled (median / max)",
        f"{statistics.median(usable):.0f} / {max(usable):.0f} ms",
    )
    report.add(
        "requests to Messenger before interaction (measured)",
        str(requests),
        f"≤ {BUDGET_BEFORE_REQUESTS}",
        requests <= BUDGET_BEFORE_REQUESTS,
    )
    report.add(
        "bytes before interaction over the wire (uncompressed)",
        f"{max(r['bytes_before'] for r in results)} B",
    )


# --- report ---------------------------------------------------------------------------------


@dataclass
class Row:
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None


@dataclass
class Report:
    figures: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    sizes: list[Size] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(metric, value, goal, ok))

    @property
    def passed(self) -> bool:
        return all(row.ok is not False for row in self.rows)

    def size_table(self) -> str:
        width = max(len(s.name) for s in self.sizes)
        lines = [f"{'file':<{width}}  {'raw':>8}  {'gzip':>8}  {'brotli':>8}"]
        lines.append("-" * len(lines[0]))
        lines += [f"{s.name:<{width}}  {s.raw:>8}  {s.gzip:>8}  {s.br:>8}" for s in self.sizes]
        return "\n".join(lines)

    def table(self) -> str:
        rows = [Row("metric", "value", "goal"), *self.rows]
        wm, wv, wg = (max(len(getattr(r, a)) for r in rows) for a in ("metric", "value", "goal"))
        lines = []
        for i, r in enumerate(rows):
            verdict = (
                "pass/fail" if i == 0 else ("" if r.ok is None else "pass" if r.ok else "FAIL")
            )
            lines.append(f"{r.metric:<{wm}}  {r.value:>{wv}}  {r.goal:<{wg}}  {verdict}".rstrip())
        lines.insert(1, "-" * max(len(line) for line in lines))
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", 1)[0], epilog="Details: bench/README.md"
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 browser runs; skipped with a note if over a minute"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object as the last line")
    parser.add_argument("--no-browser", action="store_true", help="sizes only")
    parser.add_argument("--build", action="store_true", help="rebuild widget-cdn/dist first")
    parser.add_argument("--runs", type=int, help="browser runs (10; quick 3)")
    parser.add_argument(
        "--db-name", default=BENCH_DB, help=f"database to recreate and drop (default {BENCH_DB})"
    )
    args = parser.parse_args(argv)
    if "bench" not in args.db_name:
        parser.error("the database gets dropped: its name must contain 'bench'")
    runs = args.runs or (3 if args.quick else 10)

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    report = Report()
    error = None
    try:
        phase_sizes(report, dist_ensure(args.build))
        if args.no_browser:
            report.notes.append("browser timings skipped (--no-browser)")
        else:
            phase_browser(report, runs, args.quick, args.db_name)
    except Exception as exc:  # reported; exit code 1
        import traceback

        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    wall = time.monotonic() - started
    report.figures.update(
        mode="quick" if args.quick else "full",
        budgets={
            "loader_br": BUDGET_LOADER_BR,
            "before_interaction_br": BUDGET_BEFORE_BR,
            "before_interaction_requests": BUDGET_BEFORE_REQUESTS,
            "full_ui_br": BUDGET_FULL_BR,
        },
        notes=report.notes,
        cpus=os.cpu_count(),
        wall_s=round(wall, 1),
        load_average={"before": load_before, "after": os.getloadavg()[0]},
        passed=report.passed and error is None,
        error=error,
    )
    print(
        f"Widget size benchmark ({report.figures['mode']}): wall time {wall:.1f} s, "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    if report.sizes:
        print(report.size_table())
        print()
    print(report.table())
    for note in report.notes:
        print(f"note: {note}")
    if error:
        print(f"error: {error}")
    if args.json:
        print(json.dumps(report.figures, ensure_ascii=False, default=str))
    return 0 if report.figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
