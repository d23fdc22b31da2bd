"""Helpers the benchmark scripts share: the source roots, a scratch database on the configured
server, a port, the environment of the product's processes, the result table (rows with a goal
and a verdict), percentiles and progress lines on stderr."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

REPO_DIR = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = [str(REPO_DIR), str(REPO_DIR / "platform"), str(REPO_DIR / "bench")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_params(url: str) -> dict[str, Any]:
    """psycopg connection parameters for the `postgres` database of the server behind `url`."""
    import dj_database_url

    config = dj_database_url.parse(url)
    params: dict[str, Any] = {"dbname": "postgres", "user": config["USER"] or "postgres"}
    if config["PASSWORD"]:
        params["password"] = config["PASSWORD"]
    if config["HOST"]:
        params["host"] = config["HOST"]
    if config["PORT"]:
        params["port"] = int(config["PORT"])
    params.update(config.get("OPTIONS") or {})
    return params


def url_with_path(url: str, path: str) -> str:
    """`url` with its path (database name or Redis db number) replaced; the rest kept."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(path)))


def database_url_for(url: str, name: str) -> str:
    """`url` with its database replaced by `name` (host, user, query string kept)."""
    return url_with_path(url, name)


def database_recreate(params: dict[str, Any], name: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(**params, autocommit=True) as conn:
        # FORCE ends sessions a killed earlier run may have left behind (PostgreSQL 13+).
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def product_environ(*, database_url: str, redis_url: str, cache_prefix: str) -> dict[str, str]:
    """The environment every bench gives the product's processes (server, worker, manage.py):
    production settings with a throwaway secret, fast password hashing, quiet logs."""
    return {
        "DJANGO_SETTINGS_MODULE": "messenger.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench",
        "STATIC_MANIFEST": "0",
        "FAST_PASSWORD_HASHER": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": cache_prefix,
        "PYTHONPATH": os.pathsep.join(SOURCE_ROOTS),
    }


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values.
    Infinite values (never arrived) sort last and make every percentile that touches them
    infinite."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    if math.isinf(ordered[high]):
        return ordered[low] if low == rank else math.inf
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """`with stopwatch() as elapsed:`; elapsed() gives the seconds spent in the block."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def process_run(*args: str) -> tuple[float, str]:
    """Run `python <args>` in a fresh process; its wall time in seconds and its stdout."""
    with stopwatch() as elapsed:
        done = subprocess.run(
            [sys.executable, *args],
            cwd=REPO_DIR,
            env=os.environ.copy(),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"python {' '.join(args)[:80]} exited with {done.returncode}")
    return elapsed(), done.stdout


def manage(*args: str) -> float:
    """Run `manage.py <args>` in a fresh process; its wall time in seconds."""
    return process_run(str(REPO_DIR / "manage.py"), *args)[0]


@dataclass
class Row:
    metric: str
    value: str
    goal: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.ok is None else ("pass" if self.ok else "FAIL")


@dataclass
class Report:
    figures: dict[str, Any] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    error: str = ""

    def add(self, metric: str, value: str, goal: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(metric, value, goal, ok))

    @property
    def passed(self) -> bool:
        return not self.error and all(row.ok is not False for row in self.rows)

    def table(self) -> str:
        head = Row("metric", "value", "goal")
        rows = [head, *self.rows]
        wm, wv, wg = (max(len(getattr(r, a)) for r in rows) for a in ("metric", "value", "goal"))
        lines = [
            f"{r.metric:<{wm}}  {r.value:>{wv}}  {r.goal:<{wg}}  "
            + ("pass/fail" if r is head else r.verdict)
            for r in rows
        ]
        lines.insert(1, "-" * len(lines[0]))
        return "\n".join(line.rstrip() for line in lines)

    def print_out(self, title: str, *, as_json: bool) -> int:
        """The title line, the table, whether the run stopped early, the JSON object last
        (`--json`); the script's exit status."""
        print(title)
        print(self.table())
        if self.error:
            print(f"INCOMPLETE, the run stopped: {self.error}")
        if as_json:
            print(json.dumps(self.figures, sort_keys=True))
        return 1 if self.error else 0


STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench +{time.perf_counter() - STARTED:5.1f} s] {message}", file=sys.stderr, flush=True)
