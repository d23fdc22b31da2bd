"""A Redis outage while a visitor and an operator chat: nothing sent meanwhile is lost on screen.

The stack runs against a Redis server of this module's own (never the machine's), which the
test kills and starts again on the same port. Messages sent during the outage are stored (the
database does not need Redis) but their live signals are lost; once Redis is back, the widget
and the panel, which both stayed open, must show every message once and in order, without a
reload. A second panel tab opened during the outage must work too. The widget twice: embedded
in a site on another origin, and in the demo page (same origin as the Messenger host).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e import test_widget_flow
from tests.e2e.conftest import LIVE_MS, LiveStack, panel_login, panel_online, run_stack
from tests.e2e.test_widget_flow import SNIPPET, demo_inbox
from tests.e2e.widget import open_chat, open_demo_chat
from tests.redis_server import RedisServer

pytestmark = pytest.mark.e2e

customer_site = test_widget_flow.customer_site  # the fixture: a plain shop page with a snippet
CATCH_UP_MS = 20_000  # generous: the layer retries every 0.5 s, clients fetch at once


@pytest.fixture(scope="module")
def outage_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveStack, RedisServer]]:
    server = RedisServer()
    server.start()
    try:
        with run_stack(tmp_path_factory, redis_url=server.url, name="outage") as stack:
            stack.shell("from inboxes.demo import demo_seed\ndemo_seed()\n")
            demo_inbox(stack, allowed_domains=["localhost", "127.0.0.1"])
            yield stack, server
    finally:
        server.close()


def _shown(page, selector: str, body: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """(seq, text) of the messages on screen, in the order they are shown."""
    return [
        (int(seq), text.strip())
        for seq, text in page.locator(selector).evaluate_all(
            f"""items => items.filter(li => li.dataset.seq).map(li => [
                li.dataset.seq, (li.querySelector({body!r}) || li).textContent])"""
        )
    ]


def _wait_shown(page, selector: str, body: str, expected: list[tuple[int, str]], who: str) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(PlaywrightTimeout):  # the assertion below says what is shown
        page.wait_for_function(
            f"""n => [...document.querySelectorAll({selector!r})]
                .filter(li => li.dataset.seq).length >= n""",
            arg=len(expected),
            timeout=CATCH_UP_MS,
        )
    shown = _shown(page, selector, body)
    assert shown == expected, (
        f"{who} shows {len([s for s in shown if s in expected])} of {len(expected)} messages "
        f"after the outage:\n  shown    {shown}\n  expected {expected}"
    )


def operator_http_send(operator, conversation_id: int, body: str) -> None:  # type: ignore[no-untyped-def]
    """Send as the operator over the panel's HTTP API (another device, say): must be stored."""
    status = operator.evaluate(
        """async ([path, body]) => {
            const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
            const response = await fetch(path, {
                method: "POST",
                headers: {"X-CSRFToken": csrf, "Content-Type": "application/json"},
                body: JSON.stringify({body, client_id: crypto.randomUUID()}),
            });
            return response.status;
        }""",
        [f"/api/v1/conversations/{conversation_id}/messages", body],
    )
    assert status == 201, status


def _open_widget(stack: LiveStack, kind: str, visitor, customer_site):  # type: ignore[no-untyped-def]
    """The chat's frame, opened on the demo page or on a customer site."""
    if kind == "demo":
        return open_demo_chat(visitor, stack)
    key = demo_inbox(stack)["key"]
    visitor.goto(customer_site("127.0.0.1", SNIPPET.format(base=stack.base_url, key=key)))
    return open_chat(visitor)


@pytest.mark.parametrize("widget", ["snippet", "demo"])
def test_messages_sent_while_redis_is_down_show_on_both_open_screens_once_and_in_order(
    outage_stack: tuple[LiveStack, RedisServer], new_context, customer_site, widget: str
) -> None:  # type: ignore[no-untyped-def]
    stack, redis_server = outage_stack
    redis_server.ensure_running()  # a failed test before this one may have left it stopped
    tag = uuid.uuid4().hex[:6]

    operator_context = new_context()
    operator = operator_context.new_page()
    panel_login(operator, stack)
    panel_online(operator)

    chat = _open_widget(stack, widget, new_context().new_page(), customer_site)
    box = chat.locator("textarea.input")
    box.fill(f"hello {tag}")
    box.press("Enter")
    expect(chat.locator(".m.me[data-seq='1']")).to_be_visible()

    row = operator.locator("#dlg-rows .dlg-row").filter(has_text=f"hello {tag}")
    expect(row).to_be_visible(timeout=LIVE_MS)
    row.click()
    expect(operator.locator("#dlg-message-list .msg-visitor .msg-body")).to_have_text(
        f"hello {tag}"
    )
    conversation_id = int(operator.evaluate("location.hash.slice(1)"))
    panel_input = operator.locator("#dlg-input")
    panel_input.fill(f"welcome {tag}")
    panel_input.press("Enter")
    welcome = chat.locator(".m.op[data-seq='2'] .body")
    expect(welcome).to_have_text(f"welcome {tag}", timeout=LIVE_MS)

    # --- Redis goes away -------------------------------------------------------------------
    redis_server.stop()

    # The operator answers from the panel (over its socket: the ack shows it there)...
    panel_input.fill(f"one {tag}")
    panel_input.press("Enter")
    expect(operator.locator("#dlg-message-list .msg-operator[data-seq='3']")).to_be_visible(
        timeout=LIVE_MS
    )
    # ...and from another device, over HTTP (not through the panel's code): stored all the same.
    operator_http_send(operator, conversation_id, f"two {tag}")
    # The visitor writes too. Their ack (seq 5 where the widget holds 2) shows a gap: the widget
    # fetches what lies between from the database at once, Redis or not.
    box.fill(f"still there {tag}?")
    box.press("Enter")
    expect(chat.locator(".m.me[data-seq='5']")).to_be_visible(timeout=LIVE_MS)
    expect(chat.locator(".m.op[data-seq='4'] .body")).to_have_text(f"two {tag}", timeout=LIVE_MS)
    # The last one nobody can learn of without the server's word: the panel holds 3 of 6, the
    # widget 5 of 6.
    operator_http_send(operator, conversation_id, f"three {tag}")

    # A second panel tab opened during the outage: its socket must not be refused.
    second = operator_context.new_page()
    second.goto(stack.company_url("demo", f"/dialogs/#{conversation_id}"))
    expect(second.locator("#dlg-message-list .msg[data-seq='6']")).to_be_visible(timeout=LIVE_MS)

    # --- Redis is back ---------------------------------------------------------------------
    redis_server.start()

    expected = [
        (1, f"hello {tag}"),
        (2, f"welcome {tag}"),
        (3, f"one {tag}"),
        (4, f"two {tag}"),
        (5, f"still there {tag}?"),
        (6, f"three {tag}"),  # seen live by nobody
    ]
    try:
        _wait_shown(chat, ".log .m", ".body", expected, "the widget")
        _wait_shown(operator, "#dlg-message-list .msg", ".msg-body", expected, "the panel")
    except AssertionError as e:
        raise AssertionError(str(e) + "\n" + stack.logs()) from None

    # Live again: the next message goes both ways at once, on the tab opened meanwhile too.
    panel_input.fill(f"after {tag}")
    panel_input.press("Enter")
    expect(chat.locator(".m.op[data-seq='7'] .body")).to_have_text(f"after {tag}", timeout=LIVE_MS)
    box.fill(f"thanks {tag}")
    box.press("Enter")
    for page in (operator, second):
        expect(page.locator("#dlg-message-list .msg-visitor[data-seq='8'] .msg-body")).to_have_text(
            f"thanks {tag}", timeout=LIVE_MS
        )
    expected += [(7, f"after {tag}"), (8, f"thanks {tag}")]
    _wait_shown(chat, ".log .m", ".body", expected, "the widget")
    _wait_shown(operator, "#dlg-message-list .msg", ".msg-body", expected, "the panel")
    _wait_shown(second, "#dlg-message-list .msg", ".msg-body", expected, "the second panel tab")
