"""The widget under the visitor message limit, in real Chromium: messages typed faster than the
limit are held with a notice, sent again when the server says, and each arrives exactly once.

A second ASGI server on the e2e database runs with a low limit (4 messages at once, then one
every 2 seconds), so the rest of the e2e suite keeps its limits.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from messenger.serve import uvicorn_command
from tests.e2e.conftest import REPO_DIR, LiveStack, _free_port, panel_login, panel_online
from tests.e2e.test_widget_flow import SNIPPET, chat_frame, customer_site, demo_inbox_changed, snap

pytestmark = pytest.mark.e2e

__all__ = ["customer_site"]  # the fixture, used here too

MESSAGE_LIMIT = "4/8s"  # 4 at once, then one every 2 s

STORED_CODE = """
import json
from django_tenants.utils import schema_context
from tenants.companies.models import Company
from inboxes.models import Message
with schema_context(Company.objects.get(slug="demo").schema_name):
    rows = Message.objects.filter(body__startswith={prefix!r}).order_by("seq")
    print(json.dumps([[m.body, str(m.client_id)] for m in rows]))
"""


@pytest.fixture
def limited_server(demo_company: LiveStack) -> Iterator[str]:
    """Another server on the e2e database with a low message limit; its base URL."""
    port = _free_port()
    env = {
        **demo_company.env,
        "PUBLIC_PORT": str(port),
        "RATELIMIT_WIDGET_MESSAGE_VISITOR": MESSAGE_LIMIT,
    }
    log = demo_company.log_dir / "uvicorn-limited.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            uvicorn_command(port, quiet=True),
            env=env,
            cwd=REPO_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the limited server did not start"
            time.sleep(0.1)
        yield f"http://localhost:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_messages_typed_faster_than_the_limit_are_held_then_each_arrives_once(
    demo_company: LiveStack,
    limited_server: str,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    with demo_inbox_changed(stack, allowed_domains=["127.0.0.1"]) as inbox:
        operator = new_context().new_page()  # someone online: the chat, not the offline form
        panel_login(operator, stack)
        panel_online(operator)
        visitor = new_context().new_page()
        sent: list[str] = []  # frames the chat's socket sent
        visitor.on("websocket", lambda ws: ws.on("framesent", lambda data: sent.append(str(data))))
        visitor.goto(
            customer_site("127.0.0.1", SNIPPET.format(base=limited_server, key=inbox["key"]))
        )
        visitor.locator("messenger-chat").click()
        frame = chat_frame(visitor)
        prefix = f"Burst {secrets.token_hex(3)}"
        texts = [f"{prefix} #{n}" for n in range(1, 8)]
        box = frame.locator("textarea.input")
        box.fill(texts[0])  # the first alone, so the socket is open for the burst
        box.press("Enter")
        expect(frame.locator(".m.me[data-seq]")).to_have_count(1)
        for _ in range(100):
            if any('"message.send"' in frame_text for frame_text in sent):
                break
            visitor.wait_for_timeout(50)
        assert any('"message.send"' in frame_text for frame_text in sent), sent
        for text in texts[1:]:  # six at once: about three go out, the others wait their turn
            box.fill(text)
            box.press("Enter")

        notice = frame.locator(".m.pending .fail").first
        expect(notice).to_have_text(  # the demo inbox speaks Russian
            "Слишком много сообщений сразу: это отправится автоматически через мгновение."
        )
        snap(shot, visitor, "messages held by the rate limit")
        expect(frame.locator(".m.me[data-seq]")).to_have_count(7, timeout=20_000)
        expect(frame.locator(".m.pending")).to_have_count(0)
        assert frame.locator(".m.me[data-seq] .body").all_inner_texts() == texts
        snap(shot, visitor, "every message sent in order")

        stored = json.loads(stack.shell(STORED_CODE.format(prefix=prefix)).strip().splitlines()[-1])
        assert [body for body, _ in stored] == texts
        assert len({client_id for _, client_id in stored}) == 7
