"""A visitor and an operator chat live: the widget on the demo page, the panel's Dialogs page.

Two real browsers (separate contexts) against uvicorn + Redis + PostgreSQL: messages, typing,
unread badge, delivered/read ticks both ways; then hostile text everywhere a visitor can put it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import panel_login

pytestmark = pytest.mark.e2e

WIDGET = "#messenger-widget"  # Playwright's CSS selectors pierce the widget's open shadow root

XSS_PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=1</script>",
    '"><svg onload=window.__xss=1>',
    "javascript:alert(1)",
    '<a href="javascript:window.__xss=1">click</a> & &amp; {{ 7*7 }}',
]


def open_widget(visitor) -> None:  # type: ignore[no-untyped-def]
    launcher = visitor.locator(f"{WIDGET} .launcher")
    expect(launcher).to_be_visible()
    launcher.click()
    expect(visitor.locator(f"{WIDGET} .panel")).to_be_visible()


def visitor_send(visitor, text: str) -> None:  # type: ignore[no-untyped-def]
    box = visitor.locator(f"{WIDGET} textarea")
    box.fill(text)
    box.press("Enter")


def no_xss(page) -> None:  # type: ignore[no-untyped-def]
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
    expect(operator.locator("#dialogs-badge")).to_be_hidden()
    settings = operator_context.new_page()
    settings.goto(stack.company_url("demo", "/settings/team/"))
    expect(settings.locator("#dialogs-badge")).to_be_hidden()
    shot(operator, "operator on dialogs")

    # The visitor opens the shop page and the widget (Russian, like the demo inbox).
    visitor = new_context().new_page()
    visitor.goto(f"{stack.base_url}/demo/")
    open_widget(visitor)
    expect(visitor.locator(f"{WIDGET} .note.greeting")).to_have_text(
        "Здравствуйте! Чем можем помочь?"
    )
    shot(visitor, "visitor opens widget")

    visitor_send(visitor, "Hello, do you deliver to Kazan?")
    mine = visitor.locator(f"{WIDGET} .m.me").last
    expect(mine.locator(".body")).to_have_text("Hello, do you deliver to Kazan?")
    expect(mine).to_have_attribute("data-seq", "1")
    shot(visitor, "visitor sent a message")

    # The operator sees it arrive without a reload, with the badge in both tabs.
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="Hello, do you deliver to Kazan?")
    expect(row).to_be_visible()
    expect(row.locator(".dlg-row-unread")).to_have_text("1")
    expect(operator.locator("#dialogs-badge")).to_have_text("1")
    expect(settings.locator("#dialogs-badge")).to_have_text("1")
    # It reached an operator's screen: one tick for the visitor (a round trip through the
    # operator's tab and back: give a loaded machine time).
    expect(mine.locator(".ticks")).to_have_text("✓", timeout=15_000)
    shot(operator, "new dialog appears live with badge")
    shot(settings, "badge on a settings page")

    # Opening it reads it: the badge goes in every tab, the visitor gets two ticks.
    row.click()
    row = operator.locator("#dlg-rows .dlg-row.active")  # its preview changes from here on
    expect(operator.locator("#dlg-message-list .msg-visitor .msg-body")).to_have_text(
        "Hello, do you deliver to Kazan?"
    )
    expect(operator.locator("#dialogs-badge")).to_be_hidden()
    expect(settings.locator("#dialogs-badge")).to_be_hidden()
    expect(row.locator(".dlg-row-unread")).to_have_count(0)
    expect(mine.locator(".ticks")).to_have_text("✓✓")
    expect(operator.locator("#contact-page a")).to_have_attribute("rel", re.compile("noopener"))
    shot(operator, "operator opens the dialog")
    shot(visitor, "visitor sees two ticks")

    # Typing, visitor → operator.
    visitor.locator(f"{WIDGET} textarea").press_sequentially("And the price", delay=30)
    expect(operator.locator("#dlg-typing")).to_be_visible()
    expect(row.locator(".dlg-row-preview.typing")).to_be_visible()
    shot(operator, "visitor is typing")

    # Typing, operator → visitor.
    operator.locator("#dlg-input").press_sequentially("Yes, we", delay=30)
    expect(visitor.locator(f"{WIDGET} .typing")).to_be_visible()
    expect(visitor.locator(f"{WIDGET} .typing")).to_have_text("Оператор печатает…")
    shot(visitor, "operator is typing")

    # The operator replies (Enter sends); the visitor, widget open, sees and reads it.
    operator.locator("#dlg-input").fill("Yes, we deliver to Kazan in 2 days.\nFree over 3000 ₽.")
    operator.locator("#dlg-input").press("Enter")
    reply = visitor.locator(f"{WIDGET} .m.op").last
    expect(reply.locator(".body")).to_have_text(
        "Yes, we deliver to Kazan in 2 days.\nFree over 3000 ₽."
    )
    expect(visitor.locator(f"{WIDGET} .typing")).to_be_hidden()
    expect(operator.locator("#dlg-input")).to_have_value("")
    sent = operator.locator("#dlg-message-list .msg-operator").last
    expect(sent).to_have_attribute("data-seq", "2")
    expect(sent.locator(".msg-ticks")).to_have_text("✓✓")
    expect(sent.locator(".msg-ticks")).to_have_class(re.compile(r"\bread\b"))
    # The answer assigned the dialog to the admin.
    expect(operator.locator("#dlg-subtitle")).to_contain_text("Анна Админова")
    shot(visitor, "visitor sees the reply")
    shot(operator, "operator reply read by visitor")

    # The visitor's typing indicator clears by itself once they stop.
    expect(operator.locator("#dlg-typing")).to_be_hidden(timeout=8_000)

    # A reload keeps everything: the history, the ticks and no unread badge.
    visitor.reload()
    open_widget(visitor)
    expect(visitor.locator(f"{WIDGET} .m")).to_have_count(2)
    expect(visitor.locator(f"{WIDGET} .m.me .ticks")).to_have_text("✓✓")
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

    visitor = new_context().new_page()
    visitor.goto(f"{stack.base_url}/demo/")
    open_widget(visitor)

    # A hostile name and page URL through the widget API, with the widget's own token.
    name = "<img src=x onerror=window.__xss=1>Mallory"
    page_url = 'javascript:window.__xss=1//"><svg onload=window.__xss=1>'
    result = visitor.evaluate(
        """async ([name, pageUrl]) => {
            const key = document.querySelector("script[data-key]").dataset.key;
            const token = localStorage.getItem(`messenger:${key}:token`);
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
        visitor_send(visitor, payload)
        expect(visitor.locator(f"{WIDGET} .m.me .body").last).to_have_text(payload)
    expect(visitor.locator(f"{WIDGET} .m.me[data-seq]")).to_have_count(len(XSS_PAYLOADS))
    shot(visitor, "visitor sent hostile messages")

    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="Mallory")
    expect(row).to_be_visible()
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
    for page in (operator, visitor):
        assert page.locator("img[src=x], svg[onload], a[href^=javascript]").count() == 0
    shot(operator, "operator sees hostile text literally")

    # The operator's answer with markup reaches the visitor as text too.
    operator.locator("#dlg-input").fill(XSS_PAYLOADS[0])
    operator.locator("#dlg-input").press("Enter")
    expect(visitor.locator(f"{WIDGET} .m.op .body").last).to_have_text(XSS_PAYLOADS[0])
    operator.wait_for_timeout(500)  # let any (wrongly) injected handler fire
    no_xss(operator)
    no_xss(visitor)
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

    visitor_context = new_context()
    visitor_context.add_init_script(BLOCK_WEBSOCKETS)
    visitor = visitor_context.new_page()
    visitor.goto(f"{stack.base_url}/demo/")
    open_widget(visitor)
    visitor_send(visitor, "My socket is blocked")
    expect(visitor.locator(f"{WIDGET} .m.me[data-seq='1']")).to_be_visible()

    # Hidden panel tab: the new visitor message is announced (and the badge counts it).
    operator.wait_for_function("window.__notes.some(n => n.body === 'My socket is blocked')")
    expect(operator.locator("#dialogs-badge")).not_to_be_hidden()
    operator.evaluate("window.__hidden = false")

    # Three refused sockets later the widget listens over Server-Sent Events.
    visitor.wait_for_function("window.__socketTries >= 3")
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="My socket is blocked")
    row.click()
    operator.locator("#dlg-input").fill("Over SSE then")
    operator.locator("#dlg-input").press("Enter")
    expect(visitor.locator(f"{WIDGET} .m.op .body").last).to_have_text("Over SSE then")
    expect(visitor.locator(f"{WIDGET} .m.me .ticks").first).to_have_text("✓✓")
    expect(operator.locator("#dlg-message-list .msg-operator .msg-ticks").last).to_have_text("✓✓")
    # Typing travels over HTTP in this mode.
    visitor.locator(f"{WIDGET} textarea").press_sequentially("still here", delay=30)
    expect(operator.locator("#dlg-typing")).to_be_visible()
    shot(visitor, "widget over sse")

    # A long history: the panel shows the latest page and loads older ones on scroll up.
    count = visitor.evaluate(
        """async () => {
            const key = document.querySelector("script[data-key]").dataset.key;
            const token = localStorage.getItem(`messenger:${key}:token`);
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
    expect(operator.locator("#notify-visible")).to_have_attribute("aria-checked", "true")

    # The panel is in front: a new chat chimes (and shows no browser notification).
    first = new_context().new_page()
    first.goto(f"{stack.base_url}/demo/")
    open_widget(first)
    visitor_send(first, "Hello while you look")
    operator.wait_for_function("() => window.__notes_started >= 2")
    expect(
        operator.locator("#dlg-rows .dlg-row").filter(has_text="Hello while you look")
    ).to_be_visible()

    # The panel is behind another window: one notification for the new chat, with its text.
    operator.evaluate("window.__hidden = true")
    second = new_context().new_page()
    second.goto(f"{stack.base_url}/demo/")
    open_widget(second)
    visitor_send(second, "Hello while you are away")
    operator.wait_for_function(
        "() => window.__notes.some(n => n.body === 'Hello while you are away')"
    )
    notes = operator.evaluate("window.__notes")
    assert len(notes) == 1, notes
    new_dialog = operator.evaluate(
        "document.querySelector('script[data-t-new-dialog]').dataset.tNewDialog"
    )
    assert notes[0]["title"].startswith(f"{new_dialog}: ")
