"""The ASGI server's command line, in one place: `make run`, the end-to-end stack and the
benchmarks start the product exactly as production does (infra/terraform/compute.tf).

Chat frames are small: compressing each one for each socket (permessage-deflate) cost more CPU
than anything else on the fan-out path and ~100 KiB per idle socket, so the server declines it.
Production runs a worker process per core (the GIL keeps one process on one core).

Proxy headers are off: uvicorn would otherwise rewrite the client address from X-Forwarded-For
whenever the peer is loopback, before the product sees it. `messenger.geo.client_ip` alone
decides whom to believe (TRUSTED_PROXIES); the access log holds no query strings.
"""

from __future__ import annotations

import sys


def uvicorn_command(port: int, *, workers: int = 1, quiet: bool = False) -> list[str]:
    """`python -m uvicorn messenger.asgi:application` on 127.0.0.1:`port`."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "messenger.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws",
        "websockets",
        "--ws-per-message-deflate",
        "false",
        "--lifespan",
        "off",
        "--no-proxy-headers",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    if quiet:
        command += ["--log-level", "warning", "--no-access-log"]
    return command
