"""Helpers the benchmark scripts share: a scratch database on the configured server, a port."""

from __future__ import annotations

import socket
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
