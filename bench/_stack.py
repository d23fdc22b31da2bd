"""Helpers the benchmark scripts share: a scratch database on the configured server, a port,
the result table (rows with a goal and a verdict) and progress lines on stderr."""

from __future__ import annotations

import json
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit


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


def database_url_for(url: str, name: str) -> str:
    """`url` with its database replaced by `name` (host, user, query string kept)."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name)))


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
