"""localstripe for the tests: the server in a subprocess on a free port, its signed webhooks
pointed at a URL, and a recorder in front of it that keeps every request Stripe's client sends.

localstripe has no Checkout: the recorder keeps the Checkout Session request as it was sent and
either passes it on (localstripe answers 404, as an outage would) or answers it as Stripe does,
with a session whose `url` the test chooses. Everything else goes to localstripe unchanged.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.processes import wait_for

CHECKOUT_PATH = "/v1/checkout/sessions"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (loopback)
            return True
    except urllib.error.HTTPError:
        return True  # it answered (401 without a key)
    except OSError:
        return False


@contextlib.contextmanager
def localstripe_run() -> Iterator[str]:
    """A localstripe server from scratch; yields its API base."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api_base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(api_base + "/v1/customers"), what="localstripe start")
        yield api_base
    finally:
        process.terminate()
        process.wait(timeout=30)


def webhooks_send_to(api_base: str, url: str, secret: str, name: str = "tests") -> None:
    """Make localstripe sign every event with `secret` and POST it to `url` (its `_config` API)."""
    body = f"url={urllib.parse.quote(url, safe='')}&secret={secret}".encode()
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"{api_base}/_config/webhooks/{name}", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (loopback)
        pass


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]  # a form-encoded body, one value a key (Stripe's encoding)


@dataclass
class StripeRecorder:
    """An HTTP server on loopback in front of localstripe. `checkout_answer(form)`, when set,
    answers Checkout Session requests (as Stripe would); unset, they go on to localstripe."""

    upstream: str
    checkout_answer: Callable[[dict[str, str]], dict[str, Any]] | None = None
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def checkouts(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == CHECKOUT_PATH]


def checkout_session(form: dict[str, str]) -> dict[str, Any]:
    """A Checkout Session as Stripe answers its creation; its `url` (Stripe's hosted page) is
    the request's success URL here, as if the customer had paid there at once."""
    return {
        "id": f"cs_test_{uuid.uuid4().hex}",
        "object": "checkout.session",
        "mode": form.get("mode"),
        "customer": form.get("customer"),
        "client_reference_id": form.get("client_reference_id"),
        "status": "open",
        "url": form.get("success_url"),
    }


@contextlib.contextmanager
def recorder_run(recorder: StripeRecorder) -> Iterator[StripeRecorder]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _relay(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fields = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
            form = {k: v[0] for k, v in fields.items()}
            path = self.path.split("?", 1)[0]
            recorder.requests.append(Recorded(self.command, path, form))
            if self.command == "POST" and path == CHECKOUT_PATH and recorder.checkout_answer:
                self._answer(200, json.dumps(recorder.checkout_answer(form)).encode())
                return
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "content-length", "connection")
            }
            request = urllib.request.Request(  # noqa: S310 (loopback)
                recorder.upstream + self.path,
                data=body if self.command != "GET" else None,
                method=self.command,
                headers=headers,
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    self._answer(answer.status, answer.read())
            except urllib.error.HTTPError as error:
                self._answer(error.code, error.read())

        def _answer(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = _relay

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
