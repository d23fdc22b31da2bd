"""A visitor and an operator chat live: the widget on the demo page, the panel's Dialogs page.

The demo page embeds the shipping widget with the inbox's snippet (loader.js, the chat in its
frame: tests/e2e/widget.py). Two real browsers (separate contexts) against uvicorn + Redis +
PostgreSQL: messages, typing, unread badge, delivered/read ticks both ways; then hostile text
everywhere a visitor can put it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LIVE_MS, panel_login, panel_online
from tests.e2e.widget import TOKEN_JS, chat_send, open_chat, open_demo_chat

pytestmark = pytest.mark.e2e

XSS_PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=1</script>",
    '"><svg onload=window.__xss=1>',
    "javascript:alert(1)",
    '<a href="javascript:window.__xss=1">click</a> & &amp; {{ 7*7 }}',
]


HOSTILE_ELEMENTS = "img[src=x], svg[onload], a[href^=javascript]"


def no_xss(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing ran in `page` (a page or a frame)."""
    assert page.evaluate("typeof window.__xss") == "undefined", page.url


def test_visitor_and_operator_chat_live_with_badge_ticks_and_typing(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company

    # The admin has the Dialogs page open in one tab and Team settings in another.
    operator_context = new_context()
    operator = operator_context.new_page()
    panel_login(operator, stack)
    panel_online(operator)  # the chat, not the offline form
    expect(operator.locator("#dialogs-badge")).to_be_hidden()
    settings = operator_context.new_page()
    settings.goto(stack.company_url("demo", "/settings/team/"))
    expect(settings.locator("#dialogs-badge")).to_be_hidden()
    shot(operator, "operator on dialogs")

    # The visitor opens the shop page and the widget (Russian, like the demo inbox).
    visitor = new_context().new_page()
    chat = open_demo_chat(visitor, stack)
    expect(chat.locator(".greet .body")).to_have_text("Здравствуйте! Чем можем помочь?")
    shot(visitor, "visitor opens widget")

    chat_send(chat, "Hello, do you deliver to Kazan?")
    mine = chat.locator(".log .m.me[data-seq='1']")
    expect(mine.locator(".body")).to_have_text("Hello, do you deliver to Kazan?")
    expect(chat.locator(".log .m.me")).to_have_count(1)  # the pending bubble became this one
    shot(visitor, "visitor sent a message")

    # The operator sees it arrive without a reload, with the badge in both tabs.
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="Hello, do you deliver to Kazan?")
    expect(row).to_be_visible(timeout=LIVE_MS)
    expect(row.locator(".dlg-row-unread")).to_have_text("1")
    expect(operator.locator("#dialogs-badge")).to_have_text("1")
    expect(settings.locator("#dialogs-badge")).to_have_text("1", timeout=LIVE_MS)
    # It reached an operator's screen: one tick for the visitor (a round trip through the
    # operator's tab and back: give a loaded machine time).
    expect(mine.locator(".ticks")).to_have_text("✓", timeout=LIVE_MS)
    expect(mine.locator(".ticks")).to_have_attribute("aria-label", "Доставлено")
    shot(operator, "new dialog appears live with badge")
    shot(settings, "badge on a settings page")

    # Opening it reads it: the badge goes in every tab, the visitor gets two ticks.
    row.click()
    row = operator.locator("#dlg-rows .dlg-row.active")  # its preview changes from here on
    expect(operator.locator("#dlg-message-list .msg-visitor .msg-body")).to_have_text(
        "Hello, do you deliver to Kazan?"
    )
    expect(operator.locator("#dialogs-badge")).to_be_hidden()
    expect(settings.locator("#dialogs-badge")).to_be_hidden(timeout=LIVE_MS)
    expect(row.locator(".dlg-row-unread")).to_have_count(0)
    expect(mine.locator(".ticks")).to_have_text("✓✓", timeout=LIVE_MS)
    expect(mine.locator(".ticks")).to_have_attribute("aria-label", "Прочитано")
    expect(operator.locator("#contact-page a")).to_have_attribute("rel", re.compile("noopener"))
    shot(operator, "operator opens the dialog")
    shot(visitor, "visitor sees two ticks")

    # Typing, visitor → operator.
    chat.locator("textarea.input").press_sequentially("And the price", delay=30)
    expect(operator.locator("#dlg-typing")).to_be_visible(timeout=LIVE_MS)
    expect(row.locator(".dlg-row-preview.typing")).to_be_visible()
    shot(operator, "visitor is typing")

    # Typing, operator → visitor (with the operator's name).
    operator.locator("#dlg-input").press_sequentially("Yes, we", delay=30)
    expect(chat.locator(".typing")).to_be_visible(timeout=LIVE_MS)
    expect(chat.locator(".typing")).to_have_text("Анна Админова печатает…")
    shot(visitor, "operator is typing")

    # The operator replies (Enter sends); the visitor, widget open, sees and reads it.
    operator.locator("#dlg-input").fill("Yes, we deliver to Kazan in 2 days.\nFree over 3000 ₽.")
    operator.locator("#dlg-input").press("Enter")
    reply = chat.locator(".log .m.op[data-seq='2']")
    expect(reply.locator(".body")).to_have_text(
        re.compile(r"^Yes, we deliver to Kazan in 2 days.\s*Free over 3000 ₽.$"), timeout=LIVE_MS
    )
    expect(reply.locator(".who")).to_have_text("Анна Админова")
    expect(chat.locator(".typing")).to_be_hidden()
    expect(operator.locator("#dlg-input")).to_have_value("")
    sent = operator.locator("#dlg-message-list .msg-operator").last
    expect(sent).to_have_attribute("data-seq", "2")
    expect(sent.locator(".msg-ticks")).to_have_text("✓✓", timeout=LIVE_MS)
    expect(sent.locator(".msg-ticks")).to_have_class(re.compile(r"\bread\b"))
    # The answer assigned the dialog to the admin.
    expect(operator.locator("#dlg-subtitle")).to_contain_text("Анна Админова")
    shot(visitor, "visitor sees the reply")
    shot(operator, "operator reply read by visitor")

    # The visitor's typing indicator clears by itself once they stop.
    expect(operator.locator("#dlg-typing")).to_be_hidden(timeout=LIVE_MS)

    # A reload keeps everything: the history, the ticks and no unread badge.
    visitor.reload()
    chat = open_chat(visitor)
    expect(chat.locator(".log .m")).to_have_count(2)
    expect(chat.locator(".log .m.me .ticks")).to_have_text("✓✓")
    expect(chat.locator(".log .m.op .body")).to_contain_text("Yes, we deliver to Kazan")
    operator.reload()
    expect(operator.locator("#dlg-message-list .msg")).to_have_count(2)
    expect(operator.locator("#dialogs-badge")).to_be_hidden()
    shot(operator, "operator after reload")


def test_visitor_text_is_shown_literally_and_never_runs(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    operator = new_context().new_page()
    panel_login(operator, stack)
    panel_online(operator)

    visitor = new_context().new_page()
    chat = open_demo_chat(visitor, stack)
    visitor.wait_for_function(TOKEN_JS)

    # A hostile name and page URL through the widget API, with the widget's own token.
    name = "<img src=x onerror=window.__xss=1>Mallory"
    page_url = 'javascript:window.__xss=1//"><svg onload=window.__xss=1>'
    result = visitor.evaluate(
        """async ([name, pageUrl]) => {
            const key = document.querySelector("script[data-messenger-key]")
                .getAttribute("data-messenger-key");
            const token = localStorage.getItem(`messenger:${key}`);
            const headers = {"Content-Type": "application/json",
                             Authorization: `Bearer ${token}`};
            const contact = await fetch("/widget/v1/contact", {
                method: "PATCH", headers, body: JSON.stringify({name})});
            const session = await fetch(`/widget/v1/inboxes/${key}/sessions`, {
                method: "POST", headers, body: JSON.stringify({token, page_url: pageUrl})});
            const same = (await contact.json()).id === (await session.json()).contact.id;
            return [contact.status, session.status, same];
        }""",
        [name, page_url],
    )
    assert result == [200, 200, True]  # the same contact, now with both values

    for payload in XSS_PAYLOADS:
        chat_send(chat, payload)
        expect(chat.locator(".m.me .body").last).to_have_text(payload)
    expect(chat.locator(".m.me[data-seq]")).to_have_count(len(XSS_PAYLOADS))
    expect(chat.locator(".m.me[data-seq] .body")).to_have_text(XSS_PAYLOADS)
    shot(visitor, "visitor sent hostile messages")

    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="Mallory")
    expect(row).to_be_visible(timeout=LIVE_MS)
    expect(row.locator(".dlg-row-name")).to_have_text(name)
    expect(row.locator(".dlg-row-preview")).to_have_text(XSS_PAYLOADS[-1])
    row.click()
    bodies = operator.locator("#dlg-message-list .msg-visitor .msg-body")
    expect(bodies).to_have_text(XSS_PAYLOADS)
    expect(operator.locator("#dlg-title")).to_have_text(name)
    expect(operator.locator("#contact-name")).to_have_text(name)
    expect(operator.locator("#contact-page")).to_have_text(page_url)
    # Not http(s): shown as text, never as a link.
    expect(operator.locator("#contact-page a")).to_have_count(0)
    # No element the payloads describe made it into either page.
    for page in (operator, visitor, chat):
        assert page.locator(HOSTILE_ELEMENTS).count() == 0
    shot(operator, "operator sees hostile text literally")

    # The operator's answer with markup reaches the visitor as text too.
    operator.locator("#dlg-input").fill(XSS_PAYLOADS[0])
    operator.locator("#dlg-input").press("Enter")
    expect(chat.locator(".m.op .body").last).to_have_text(XSS_PAYLOADS[0], timeout=LIVE_MS)
    # Any (wrongly) injected image's handler fires once its load fails: wait for every image
    # there is to have settled, instead of a fixed pause.
    for page in (operator, chat):
        page.wait_for_function("() => [...document.images].every(img => img.complete)")
    assert chat.locator(HOSTILE_ELEMENTS).count() == 0
    no_xss(operator)
    no_xss(visitor)
    no_xss(chat)
    shot(visitor, "visitor sees operator markup literally")

    # Empty and over-long messages get a clear refusal, not a stuck bubble.
    too_long = "x" * 10_001
    operator.evaluate("(text) => { document.getElementById('dlg-input').value = text; }", too_long)
    operator.locator("#dlg-input").press("Enter")
    expect(operator.locator("#dlg-send-error")).to_be_visible()
    shot(operator, "too long message refused")


BLOCK_WEBSOCKETS = """
// A network that refuses WebSockets (some corporate proxies do): every socket closes at once.
window.WebSocket = class extends EventTarget {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    constructor(url) {
        super();
        this.url = String(url);
        this.readyState = 3;
        window.__socketTries = (window.__socketTries || 0) + 1;
        setTimeout(() => this.dispatchEvent(new CloseEvent("close", {code: 1006})), 20);
    }
    send() { throw new Error("closed"); }
    close() {}
};
"""

PRETEND_HIDDEN = """
// The operator looks at another window; notifications are recorded, not shown.
Object.defineProperty(document, "hidden", {
    configurable: true, get: () => window.__hidden === true});
window.__notes = [];
window.Notification = class {
    static permission = "granted";
    static requestPermission() { return Promise.resolve("granted"); }
    constructor(title, options) { window.__notes.push({title, body: options.body}); }
    addEventListener() {}
    close() {}
};
"""


def test_widget_falls_back_to_sse_history_pages_and_hidden_tab_notifies(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    operator = new_context().new_page()
    operator.add_init_script(PRETEND_HIDDEN)
    panel_login(operator, stack)

    # The per-user mute is saved on the server: it survives a reload.
    mute = operator.locator("#notify-mute")
    expect(mute).to_have_attribute("aria-checked", "true")
    with operator.expect_response(lambda r: r.url.endswith("/api/v1/me") and r.ok):
        mute.click()
    expect(mute).to_have_attribute("aria-checked", "false")
    operator.reload()
    expect(mute).to_have_attribute("aria-checked", "false")
    shot(operator, "notifications muted")
    with operator.expect_response(lambda r: r.url.endswith("/api/v1/me") and r.ok):
        mute.click()
    expect(mute).to_have_attribute("aria-checked", "true")
    # Permission is granted (by the stub), so the "Enable notifications" offer is gone.
    expect(operator.locator("#notify-enable")).to_be_hidden()
    operator.evaluate("window.__hidden = true")
    panel_online(operator)

    visitor_context = new_context()
    visitor_context.add_init_script(BLOCK_WEBSOCKETS)
    visitor = visitor_context.new_page()
    chat = open_demo_chat(visitor, stack)  # the init script runs in the chat's frame too
    chat_send(chat, "My socket is blocked")
    expect(chat.locator(".m.me[data-seq='1']")).to_be_visible()  # sent over HTTP

    # Hidden panel tab: the new visitor message is announced (and the badge counts it).
    operator.wait_for_function(
        "window.__notes.some(n => n.body === 'My socket is blocked')", timeout=LIVE_MS
    )
    expect(operator.locator("#dialogs-badge")).not_to_be_hidden()
    operator.evaluate("window.__hidden = false")

    # Three refused sockets later the widget listens over Server-Sent Events.
    chat.wait_for_function("() => window.__socketTries >= 3", timeout=LIVE_MS)
    visitor.wait_for_function(TOKEN_JS)
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="My socket is blocked")
    row.click()
    operator.locator("#dlg-input").fill("Over SSE then")
    operator.locator("#dlg-input").press("Enter")
    expect(chat.locator(".m.op .body").last).to_have_text("Over SSE then", timeout=LIVE_MS)
    expect(chat.locator(".m.me .ticks").first).to_have_text("✓✓", timeout=LIVE_MS)
    expect(operator.locator("#dlg-message-list .msg-operator .msg-ticks").last).to_have_text(
        "✓✓", timeout=LIVE_MS
    )
    # Typing travels over HTTP in this mode.
    chat.locator("textarea.input").press_sequentially("still here", delay=30)
    expect(operator.locator("#dlg-typing")).to_be_visible(timeout=LIVE_MS)
    shot(visitor, "widget over sse")

    # A long history: the panel shows the latest page and loads older ones on scroll up.
    count = visitor.evaluate(
        """async () => {
            const key = document.querySelector("script[data-messenger-key]")
                .getAttribute("data-messenger-key");
            const token = localStorage.getItem(`messenger:${key}`);
            const headers = {"Content-Type": "application/json",
                             Authorization: `Bearer ${token}`};
            const conversation = await (await fetch("/widget/v1/conversations",
                {method: "POST", headers})).json();
            for (let i = 1; i <= 60; i++) {
                await fetch(`/widget/v1/conversations/${conversation.id}/messages`, {
                    method: "POST", headers,
                    body: JSON.stringify({body: `history ${i}`, client_id: crypto.randomUUID()})});
            }
            return conversation.last_seq + 60;
        }"""
    )
    operator.reload()
    messages = operator.locator("#dlg-message-list .msg")
    expect(messages).to_have_count(50)
    expect(messages.last.locator(".msg-body")).to_have_text("history 60")
    operator.locator("#dlg-messages").evaluate("box => { box.scrollTop = 0; }")
    expect(messages).to_have_count(count)
    expect(messages.first.locator(".msg-body")).to_have_text("My socket is blocked")
    shot(operator, "older history loaded")
    assert [int(s) for s in messages.evaluate_all("els => els.map(e => e.dataset.seq)")] == list(
        range(1, count + 1)
    )


COUNT_CHIMES = """
// Chimes are counted, not played: each chime starts two notes.
window.__notes_started = 0;
window.AudioContext = class {
    constructor() { this.currentTime = 0; this.destination = {}; this.state = "running"; }
    createOscillator() {
        return {type: "", frequency: {value: 0}, connect: (next) => next,
                start() { window.__notes_started += 1; }, stop() {}};
    }
    createGain() {
        return {gain: {setValueAtTime() {}, exponentialRampToValueAtTime() {}},
                connect: (next) => next};
    }
    resume() { return Promise.resolve(); }
};
"""


def test_a_new_chat_chimes_in_a_visible_tab_and_notifies_once_in_a_hidden_one(
    demo_company,
    new_context,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    operator = new_context().new_page()
    operator.add_init_script(PRETEND_HIDDEN)
    operator.add_init_script(COUNT_CHIMES)
    panel_login(operator, stack)
    panel_online(operator)
    expect(operator.locator("#notify-visible")).to_have_attribute("aria-checked", "true")

    # The panel is in front: a new chat chimes (and shows no browser notification).
    first = open_demo_chat(new_context().new_page(), stack)
    chat_send(first, "Hello while you look")
    operator.wait_for_function("() => window.__notes_started >= 2", timeout=LIVE_MS)
    expect(
        operator.locator("#dlg-rows .dlg-row").filter(has_text="Hello while you look")
    ).to_be_visible()

    # The panel is behind another window: one notification for the new chat, with its text.
    operator.evaluate("window.__hidden = true")
    second = open_demo_chat(new_context().new_page(), stack)
    chat_send(second, "Hello while you are away")
    operator.wait_for_function(
        "() => window.__notes.some(n => n.body === 'Hello while you are away')", timeout=LIVE_MS
    )
    notes = operator.evaluate("window.__notes")
    assert len(notes) == 1, notes
    new_dialog = operator.evaluate(
        "document.querySelector('script[data-t-new-dialog]').dataset.tNewDialog"
    )
    assert notes[0]["title"].startswith(f"{new_dialog}: ")
