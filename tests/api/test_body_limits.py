"""Oversized bodies are refused before they are read. The ASGI application gets a 100 MiB
upload or a 40 MiB JSON body from a client that counts how many bytes the server pulls from
it; then the real server (uvicorn in a subprocess) gets a 100 MiB upload, and the test counts
the bytes that process read."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings

from messenger.asgi import application
from messenger.serve import uvicorn_command
from tests.inboxes.conftest import ORIGIN

MIB = 1024 * 1024


class Client:
    """One HTTP request as the server sees it: the body handed out a MiB at a time (counted),
    then nothing until the answer is complete, as from a client waiting for it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.read = 0
        self.status: int | None = None
        self.headers: dict[bytes, bytes] = {}
        self.body = b""
        self.answered = asyncio.Event()

    async def receive(self) -> dict[str, Any]:
        if self.read < self.size:
            chunk = min(MIB, self.size - self.read)
            self.read += chunk
            return {
                "type": "http.request",
                "body": b"x" * chunk,
                "more_body": self.read < self.size,
            }
        await self.answered.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.lower(): v for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            if not message.get("more_body"):
                self.answered.set()


async def _post(path: str, content_type: str, size: int, *, declared: bool) -> Client:
    client = Client(size)
    headers = [
        (b"host", b"localhost"),
        (b"origin", ORIGIN.encode()),
        (b"content-type", content_type.encode()),
    ]
    if declared:
        headers.append((b"content-length", str(size).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await asyncio.wait_for(application(scope, client.receive, client.send), timeout=60)
    return client


UPLOAD = ("/widget/v1/conversations/1/attachments", "multipart/form-data; boundary=b")
JSON = ("/widget/v1/conversations/1/messages", "application/json")


@pytest.mark.parametrize(
    ("request_kind", "size"), [(UPLOAD, 100 * MIB), (JSON, 40 * MIB)], ids=["upload", "json"]
)
async def test_a_body_declared_over_its_limit_is_answered_413_without_reading_it(
    request_kind, size
):
    path, content_type = request_kind
    client = await _post(path, content_type, size, declared=True)
    assert client.read == 0
    assert client.status == 413
    assert json.loads(client.body)["detail"].startswith("The request is too large")
    assert client.headers[b"access-control-allow-origin"] == ORIGIN.encode()
    assert client.headers[b"connection"] == b"close"  # the server reads no more of it


@pytest.mark.parametrize(
    ("request_kind", "size"), [(UPLOAD, 100 * MIB), (JSON, 40 * MIB)], ids=["upload", "json"]
)
async def test_a_chunked_body_is_read_only_up_to_its_limit(request_kind, size):
    path, content_type = request_kind
    client = await _post(path, content_type, size, declared=False)
    limit = (
        settings.UPLOAD_REQUEST_MAX_BYTES
        if content_type.startswith("multipart/")
        else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    assert client.read <= limit + MIB
    assert client.status == 413


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, int]]:
    """uvicorn serving the product on a free port: (port, process id)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        uvicorn_command(port, quiet=True), cwd=Path(__file__).resolve().parents[2], env=os.environ
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _bytes_read(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/<pid>/io")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_the_server_refuses_a_100_mib_upload_without_reading_it(server, declared):
    port, pid = server
    path, content_type = UPLOAD
    headers = {"Host": "localhost", "Origin": ORIGIN, "Content-Type": content_type}
    httpx.post(f"http://127.0.0.1:{port}{path}", headers=headers, timeout=10)  # warm up
    if declared:
        headers["Content-Length"] = str(100 * MIB)
    before = _bytes_read(pid)
    response = httpx.post(
        f"http://127.0.0.1:{port}{path}",
        content=(b"x" * MIB for _ in range(100)),
        headers=headers,
        timeout=60,
    )
    assert response.status_code == 413
    read = _bytes_read(pid) - before
    # everything the process read (the socket, and any file): far from the 100 MiB sent
    assert read < (2 * MIB if declared else settings.UPLOAD_REQUEST_MAX_BYTES + 2 * MIB)
