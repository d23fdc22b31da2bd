"""infra/docker/lockbox_env.py against a local server speaking the metadata and Lockbox APIs."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, ClassVar

import pytest

from tests.infra.terraform_config import REPO_DIR

TOKEN = "t1.instance-token"
SECRET_ID = "e6qsecret"


def load_module() -> ModuleType:
    path = REPO_DIR / "infra" / "docker" / "lockbox_env.py"
    spec = importlib.util.spec_from_file_location("lockbox_env", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lockbox_env = load_module()


class FakeCloud(BaseHTTPRequestHandler):
    """GET /token like the metadata service; GET /lockbox/v1/secrets/<id>/payload like Lockbox."""

    entries: ClassVar[list[dict[str, str]]] = []
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers)})
        if self.path == "/token":
            if self.headers.get("Metadata-Flavor") != "Google":
                return self._reply(403, {"error": "missing Metadata-Flavor"})
            return self._reply(200, {"access_token": TOKEN, "expires_in": 3600})
        if self.path == f"/lockbox/v1/secrets/{SECRET_ID}/payload":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._reply(401, {"message": "unauthenticated"})
            return self._reply(200, {"entries": type(self).entries, "versionId": "v1"})
        return self._reply(404, {"message": "not found"})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    FakeCloud.entries = [
        {"key": "DJANGO_SECRET_KEY", "textValue": "s3cr3t"},
        {"key": "DATABASE_URL", "textValue": "postgres://u:p@db:6432/messenger"},
    ]
    FakeCloud.seen = []
    for entry in FakeCloud.entries:  # the test runner's own settings must not clash with them
        monkeypatch.delenv(entry["key"], raising=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCloud)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(lockbox_env, "METADATA_TOKEN_URL", f"{base}/token")
    monkeypatch.setattr(
        lockbox_env, "LOCKBOX_PAYLOAD_URL", f"{base}/lockbox/v1/secrets/{{secret_id}}/payload"
    )
    yield base
    server.shutdown()
    server.server_close()


def test_secret_entries_are_read_with_the_instance_token(cloud: str) -> None:
    # when
    token = lockbox_env.instance_token(url=f"{cloud}/token")
    entries = lockbox_env.secret_entries(
        secret_id=SECRET_ID, token=token, url=f"{cloud}/lockbox/v1/secrets/{{secret_id}}/payload"
    )

    # then
    assert entries == {
        "DJANGO_SECRET_KEY": "s3cr3t",
        "DATABASE_URL": "postgres://u:p@db:6432/messenger",
    }
    assert FakeCloud.seen[0]["Metadata-Flavor"] == "Google"


def test_command_replaces_the_process_with_the_secrets_in_its_environment(
    cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    executed: dict[str, Any] = {}

    def fake_exec(file: str, args: list[str], env: dict[str, str]) -> None:
        executed.update(file=file, args=args, env=env)

    monkeypatch.setattr(lockbox_env.os, "execvpe", fake_exec)
    monkeypatch.setenv("BASE_HOST", "chat.example.ru")

    # when
    lockbox_env.main(["--secret-id", SECRET_ID, "--", "celery", "-A", "messenger", "beat"])

    # then
    assert executed["file"] == "celery"
    assert executed["args"] == ["celery", "-A", "messenger", "beat"]
    assert executed["env"]["DJANGO_SECRET_KEY"] == "s3cr3t"
    assert executed["env"]["BASE_HOST"] == "chat.example.ru"


def test_a_name_set_both_in_the_container_and_in_lockbox_stops_the_start(
    cloud: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(lockbox_env.os, "execvpe", pytest.fail)
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere")

    status = lockbox_env.main(["--secret-id", SECRET_ID, "--", "true"])

    assert status == 1
    assert "DATABASE_URL" in capsys.readouterr().err


def test_a_binary_entry_is_refused(cloud: str) -> None:
    FakeCloud.entries = [{"key": "TLS_KEY", "binaryValue": "AAEC"}]

    with pytest.raises(lockbox_env.SecretError, match="TLS_KEY"):
        lockbox_env.secret_entries(
            secret_id=SECRET_ID,
            token=TOKEN,
            url=f"{cloud}/lockbox/v1/secrets/{{secret_id}}/payload",
        )


def test_unreachable_services_are_retried_then_reported(cloud: str) -> None:
    # given: a secret that does not exist answers 404 every time
    waits: list[float] = []

    # when
    with pytest.raises(lockbox_env.SecretError, match="3 attempts"):
        lockbox_env.with_retries(
            lambda: lockbox_env.secret_entries(
                secret_id="missing",
                token=TOKEN,
                url=f"{cloud}/lockbox/v1/secrets/{{secret_id}}/payload",
            ),
            attempts=3,
            sleep=waits.append,
        )

    # then
    assert waits == [1.0, 2.0]
    assert len(FakeCloud.seen) == 3
