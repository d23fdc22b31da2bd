"""Oversized bodies are refused before they are read. The ASGI application (as uvicorn runs
it) gets a 100 MiB upload or a 40 MiB JSON body from a client that counts how many bytes the
server pulls from it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from django.conf import settings

from messenger.asgi import application
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
