"""The CDN widget on a customer's site, in real Chromium, against the running product.

A plain page on another origin (a tiny http.server on 127.0.0.1) embeds the snippet from the
inbox settings. The loader draws the launcher and loads nothing more until the visitor scrolls
(the inbox's load mode); the chat frame then talks to the widget API and its WebSocket. An
operator in another browser context answers in the panel. A second page, on an origin that is
not on the inbox's allowlist (127.0.0.2), gets no launcher, no frame and stores nothing.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import secrets
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import REPO_DIR, LiveStack, panel_login, panel_online
from tests.e2e.widget import FRAME_PATH, chat_frame

pytestmark = pytest.mark.e2e

WIDGET_DIR = REPO_DIR / "widget-cdn"
DIST_DIR = WIDGET_DIR / "dist"
HASHED_WIDGET = re.compile(r"/cdn/widget\.[0-9a-f]{12}\.js$")
HASHED_EMOJI = re.compile(r"/cdn/emoji\.[0-9a-f]{12}\.js$")
SNIPPET = '<script async src="{base}/cdn/loader.js" data-messenger-key="{key}"></script>'

INBOX_CODE = """
import json
from django_tenants.utils import schema_context
from tenants.companies.models import Company
from inboxes.models import Contact, Inbox, Message
with schema_context(Company.objects.get(slug="demo").schema_name):
    inbox = Inbox.objects.get()
    for field, value in {changes!r}.items():
        setattr(inbox, field, value)
    inbox.save()
    print(json.dumps({{"key": inbox.public_key, "allowed": inbox.allowed_domains,
                      "load_mode": inbox.load_mode, "contacts": Contact.objects.count(),
                      "messages": Message.objects.count()}}))
"""


def demo_inbox(stack: LiveStack, **changes: object) -> dict:
    """The demo inbox (after applying `changes`): key, allowlist, row counts."""
    return json.loads(stack.shell(INBOX_CODE.format(changes=changes)).strip().splitlines()[-1])


@contextmanager
def demo_inbox_changed(stack: LiveStack, **changes: object) -> Iterator[dict]:
    """The demo inbox with `changes` (allowed_domains, load_mode) while the block runs, as it
    was afterwards: tests share the session's demo company."""
    original = demo_inbox(stack)
    before = {"allowed_domains": original["allowed"], "load_mode": original["load_mode"]}
    try:
        yield demo_inbox(stack, **changes)
    finally:
        demo_inbox(stack, **{name: before[name] for name in changes})


@pytest.fixture(scope="session")
def widget_dist() -> Path:
    """widget-cdn/dist, built when missing (scripts/setup.sh normally builds it)."""
    if not (DIST_DIR / "manifest.json").exists():
        if not (WIDGET_DIR / "node_modules").exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=WIDGET_DIR, check=True
            )
        subprocess.run(["npm", "run", "--silent", "build"], cwd=WIDGET_DIR, check=True)
    return DIST_DIR


@pytest.fixture
def customer_site() -> Iterator[Callable[[str, str], str]]:
    """`customer_site(host, snippet)` serves a plain shop page with the snippet at
    http://host:<free port>/ and returns its URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(host: str, snippet: str) -> str:
        paragraphs = "".join(
            f"<p>Section {i}. We deliver across the country; this text makes "
            "the page long enough to scroll.</p>"
            for i in range(24)
        )
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Shop</title>"
            "<meta name=viewport content='width=device-width, initial-scale=1'></head>"
            "<body style='font:16px/1.6 sans-serif;max-width:720px;margin:40px auto;"
            f"color:#222'><h1>Acme shop</h1>{paragraphs}{snippet}</body></html>"
        ).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        server = http.server.ThreadingHTTPServer((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://{host}:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def png_bytes() -> bytes:
    """A small screenshot-like PNG."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 220), "#eef2ff")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 360, 36], fill="#3b5bfd")
    draw.rectangle([20, 60, 260, 78], fill="#9aa7c7")
    draw.rectangle([20, 92, 320, 110], fill="#c5cde0")
    draw.rectangle([20, 150, 150, 190], fill="#34d27b")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PASTE_IMAGE = """([b64, name]) => {
    const raw = atob(b64);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, {type: "image/png"}));
    const input = document.querySelector("textarea.input");
    input.focus();
    return input.dispatchEvent(new ClipboardEvent("paste", {
        clipboardData: data, bubbles: true, cancelable: true}));
}"""

PASTE_TEXT = """(text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    return document.querySelector("textarea.input").dispatchEvent(new ClipboardEvent("paste", {
        clipboardData: data, bubbles: true, cancelable: true}));
}"""


def snap(shot, page, step: str) -> None:  # type: ignore[no-untyped-def]
    """Like `shot`, but of the viewport: the widget is fixed to it, and a full-page capture
    (which resizes the viewport) leaves Chromium's hit testing of the cross-origin chat frame
    stale for a while, so later clicks into it would be lost."""
    page.wait_for_timeout(250)  # the frame fades in over 0.2 s
    shot.count += 1
    slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
    page.screenshot(path=str(shot.folder / f"{shot.count:02d}-{slug}.png"))


def panel_api(operator, method: str, path: str) -> dict:  # type: ignore[no-untyped-def]
    """Call the panel API from the operator's page (session cookie + CSRF token)."""
    return operator.evaluate(
        """async ([method, path]) => {
            const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
            const response = await fetch(path, {method, headers: {"X-CSRFToken": csrf}});
            return {status: response.status, body: await response.json()};
        }""",
        [method, path],
    )


def test_widget_lazy_loads_chats_with_files_and_is_rated(
    demo_company: LiveStack,
    widget_dist: Path,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    # Only the customer site: the frame's own host (localhost) is not allowed, so every request
    # and socket of the frame passes only by naming the site (X-Widget-Site / ?site=).
    with demo_inbox_changed(stack, load_mode="scroll", allowed_domains=["127.0.0.1"]) as inbox:
        _chat_flow(stack, inbox["key"], customer_site, new_context, shot)


def _chat_flow(stack, key, customer_site, new_context, shot) -> None:  # type: ignore[no-untyped-def]
    # The operator has the Dialogs page open (so the inbox is online).
    operator = new_context().new_page()
    panel_login(operator, stack)
    panel_online(operator)

    # The visitor opens the shop: only the loader and the config are fetched.
    site = customer_site("127.0.0.1", SNIPPET.format(base=stack.base_url, key=key))
    visitor = new_context().new_page()
    requested: list[str] = []
    visitor.on("request", lambda request: requested.append(request.url))
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    sockets: list[str] = []
    visitor.on("websocket", lambda socket: sockets.append(socket.url))
    visitor.goto(site)
    launcher = visitor.locator("messenger-chat")
    expect(launcher).to_be_visible()
    # The site's own script: events, and the visitor's name, queued until the chat loads.
    visitor.evaluate("""() => {
        window.__events = [];
        for (const name of ["open", "close", "message"]) {
            window.Messenger.on(name, (d) => window.__events.push([name, d ? d.body : null]));
        }
        window.Messenger.identify({name: "Ivan Petrov", email: "ivan@example.com"});
    }""")
    # The launcher is drawn once the config is in: the loader asks for nothing more until a
    # scroll (no pause here; the scroll below shows what it loads then).
    ours = [url for url in requested if url.startswith(stack.base_url)]
    assert ours == [
        f"{stack.base_url}/cdn/loader.js",
        f"{stack.base_url}/widget/v1/inboxes/{key}/config",
    ], ours
    assert not any(HASHED_WIDGET.search(url) or FRAME_PATH in url for url in requested)
    assert all(url.startswith((site, stack.base_url)) for url in requested), requested
    snap(shot, visitor, "launcher only before any scroll")

    # A scroll loads the chat frame and widget.js, still hidden.
    with visitor.expect_request(lambda request: bool(HASHED_WIDGET.search(request.url))):
        visitor.mouse.wheel(0, 700)
    frame = chat_frame(visitor)
    expect(frame.locator("textarea.input")).to_be_enabled()
    assert (
        visitor.evaluate("document.querySelector('messenger-chat').getBoundingClientRect().height")
        == 60
    )
    assert not any(HASHED_EMOJI.search(url) for url in requested)
    snap(shot, visitor, "frame loaded after the scroll, still closed")

    # Opening: the panel with the greeting, the input focused.
    launcher.click()
    expect(frame.locator(".greet")).to_contain_text("Здравствуйте! Чем можем помочь?")
    expect(frame.locator(".hd .ti")).to_have_text("Сайт")
    expect(frame.locator("textarea.input")).to_be_focused()
    snap(shot, visitor, "chat open with greeting")

    # Markdown and an emoji from the picker, whose list is loaded only now.
    box = frame.locator("textarea.input")
    box.fill("Do you ship **tomorrow**? Order `A-17` ")
    with visitor.expect_request(lambda request: bool(HASHED_EMOJI.search(request.url))):
        frame.get_by_role("button", name="Вставить эмодзи").click()
    emoji = frame.locator(".picker .em").first
    expect(emoji).to_be_visible()
    snap(shot, visitor, "emoji picker")
    chosen = emoji.get_attribute("aria-label")
    emoji.click()
    expect(frame.locator(".picker")).to_be_hidden()
    expect(box).to_have_value(f"Do you ship **tomorrow**? Order `A-17` {chosen}")
    box.press("Enter")
    first = frame.locator(".m.me[data-seq='1']")
    expect(first.locator(".body strong")).to_have_text("tomorrow")
    expect(first.locator(".body code")).to_have_text("A-17")
    expect(first.locator(".body")).to_contain_text(chosen)
    expect(box).to_have_value("")

    # A text paste stays a text paste; a pasted screenshot becomes an attachment.
    assert frame.evaluate(PASTE_TEXT, "just text") is True  # not prevented
    expect(frame.locator(".files .chip")).to_have_count(0)
    file_name = f"shot-{secrets.token_hex(3)}.png"
    assert (
        frame.evaluate(PASTE_IMAGE, [base64.b64encode(png_bytes()).decode(), file_name]) is False
    )  # handled by the widget
    expect(frame.locator(".files .chip:not(.up)")).to_have_count(1)
    expect(frame.locator(".files .chip img")).to_be_visible()
    snap(shot, visitor, "pasted screenshot ready to send")
    box.press("Enter")
    image_message = frame.locator(".m.me[data-seq='2']")
    image = image_message.locator(".img img")
    expect(image).to_be_visible()
    assert (
        frame.evaluate(
            "() => new Promise(done => { const img = document.querySelector(\".m[data-seq='2'] "
            '.img img"); img.complete ? done(img.naturalWidth) : img.onload = () => '
            "done(img.naturalWidth); })"
        )
        == 360
    )
    expect(image_message.locator(".img")).to_have_attribute("href", re.compile(r"^/files/"))
    snap(shot, visitor, "visitor sent text and a screenshot")

    # The operator sees both live, opens the dialog and answers.
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text=file_name)
    expect(row).to_be_visible()
    conversation_id = int(row.get_attribute("data-id") or 0)
    expect(row.locator(".dlg-row-name")).to_have_text("Ivan Petrov")  # from identify()
    row.click()
    bodies = operator.locator("#dlg-message-list .msg-visitor")
    expect(bodies).to_have_count(2)
    expect(bodies.first.locator(".msg-body")).to_contain_text("tomorrow")
    expect(bodies.first.locator(".msg-body")).to_contain_text(f"A-17 {chosen}")
    messages = panel_api(operator, "GET", f"/api/v1/conversations/{conversation_id}/messages")
    assert messages["status"] == 200, messages
    listed = (
        messages["body"]["messages"] if isinstance(messages["body"], dict) else messages["body"]
    )
    attachments = [a for m in listed for a in m["attachments"]]
    assert [(a["name"], a["is_image"], a["width"]) for a in attachments] == [(file_name, True, 360)]
    snap(shot, operator, "operator sees the visitor's messages")
    operator.locator("#dlg-input").fill("Yes, **tomorrow** by noon.")
    operator.locator("#dlg-input").press("Enter")

    # The visitor sees the reply (formatted) and two ticks: the operator has read theirs.
    reply = frame.locator(".m.op[data-seq='3']")
    expect(reply.locator(".body strong")).to_have_text("tomorrow")
    expect(reply.locator(".who")).to_have_text("Анна Админова")
    ticks = frame.locator(".m.me .ticks")
    expect(ticks).to_have_count(2)
    for index in range(2):
        expect(ticks.nth(index)).to_have_text("✓✓")
        expect(ticks.nth(index)).to_have_attribute("aria-label", "Прочитано")
    expect(frame.locator(".hd .st")).to_contain_text("Анна Админова")
    assert visitor.evaluate("window.__events") == [
        ["open", None],
        ["message", "Yes, **tomorrow** by noon."],
    ]
    snap(shot, visitor, "visitor sees the reply and two ticks")

    # The operator closes the dialog; the visitor is asked to rate it.
    operator.locator("#dlg-close").click()
    expect(operator.locator("#dlg-reopen")).to_be_visible()
    rating = frame.locator("form.rate")
    expect(rating).to_be_visible()
    expect(frame.locator(".note")).to_have_text("Диалог завершён.")
    snap(shot, visitor, "rating prompt after close")
    frame.get_by_role("radio", name="4 из 5").click()
    rating.locator("textarea").fill("Quick and clear, thanks")
    rating.get_by_role("button", name="Отправить оценку").click()
    expect(frame.locator(".card.thanks")).to_contain_text("Спасибо за отзыв!")
    expect(frame.locator(".card.thanks .score")).to_have_text("★★★★☆")
    snap(shot, visitor, "visitor rated the conversation")

    # The rating is stored once, on the conversation the operator sees.
    stored = panel_api(operator, "GET", f"/api/v1/conversations/{conversation_id}")
    assert stored["status"] == 200, stored
    assert stored["body"]["status"] == "closed"
    assert stored["body"]["rating"]["score"] == 4
    assert stored["body"]["rating"]["scale"] == "stars"
    assert stored["body"]["rating"]["comment"] == "Quick and clear, thanks"
    # The panel shows it too (it updates live on the conversation.updated event).
    expect(operator.get_by_text("Quick and clear, thanks")).to_be_visible()
    snap(shot, operator, "operator sees the rating")

    # Escape closes the chat and gives the focus back to the launcher.
    frame.locator("textarea.input").press("Escape")
    expect(visitor.locator("messenger-chat")).to_be_focused()
    assert visitor.evaluate("window.__events")[-1] == ["close", None]
    snap(shot, visitor, "closed with Escape")
    assert errors == [], errors
    # Live over the WebSocket (naming the site), never the SSE fallback.
    # The socket opens with a one-time ticket: the visitor's token is in no URL.
    assert sockets and all("/ws/widget/?ticket=" in u and "&site=http" in u for u in sockets)
    assert not [u for u in [*sockets, *requested] if "token=" in u]
    assert not [u for u in requested if "/widget/v1/events" in u]
    assert all(
        url.startswith((site, stack.base_url)) or url.startswith(("blob:", "data:"))
        for url in requested
    ), [u for u in requested if not u.startswith(site)]


FETCHES_SETTLED = """
// Counts the page's settled fetches, after every callback chained on each (a task later).
const pageFetch = window.fetch;
window.__fetchesSettled = 0;
window.fetch = (...args) => pageFetch(...args).finally(() => {
    setTimeout(() => { window.__fetchesSettled += 1; });
});
"""


def test_widget_on_a_site_not_on_the_allowlist_shows_nothing_and_stores_nothing(
    demo_company: LiveStack,
    widget_dist: Path,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    inbox = demo_inbox(stack)
    assert not any(entry in ("127.0.0.2", "*.0.0.2") for entry in inbox["allowed"])
    site = customer_site("127.0.0.2", SNIPPET.format(base=stack.base_url, key=inbox["key"]))

    visitor = new_context().new_page()
    visitor.add_init_script(FETCHES_SETTLED)
    with visitor.expect_response(lambda r: "/config" in r.url) as config:
        visitor.goto(site)
    assert config.value.status == 403
    # The loader has handled the refusal (no pause: the fetch's callbacks have all run).
    visitor.wait_for_function("() => window.__fetchesSettled >= 1")
    expect(visitor.locator("messenger-chat")).to_have_count(0)
    # The site's API calls queue forever instead of doing anything.
    visitor.evaluate("""() => {
        addEventListener("scroll", () => { window.__scrolled = true; }, {once: true});
        window.Messenger.open();
    }""")
    visitor.mouse.wheel(0, 700)
    visitor.wait_for_function("() => window.__scrolled === true")  # after any loader listener
    assert not [f for f in visitor.frames if FRAME_PATH in f.url]
    snap(shot, visitor, "no launcher on a site that is not allowed")

    # Framing the chat by hand is refused by the server, and the browser would refuse too.
    frame_url = f"{stack.base_url}{FRAME_PATH}{inbox['key']}/?lang=en"
    with visitor.expect_response(lambda r: FRAME_PATH in r.url) as framed:
        visitor.evaluate(
            "(url) => { const f = document.createElement('iframe'); f.src = url;"
            " f.referrerPolicy = 'origin'; document.body.append(f); }",
            frame_url,
        )
    assert framed.value.status == 403
    # And the API answers 403 to this origin before anything is stored.
    status = visitor.evaluate(
        """async ([base, key]) => (await fetch(`${base}/widget/v1/inboxes/${key}/sessions`, {
            method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify({page_url: location.href})})).status""",
        [stack.base_url, inbox["key"]],
    )
    assert status == 403
    snap(shot, visitor, "frame refused")

    after = demo_inbox(stack)
    assert (after["contacts"], after["messages"]) == (inbox["contacts"], inbox["messages"])


OFFLINE_CODE = """
from django_tenants.utils import schema_context
from tenants.accounts.models import User
from tenants.companies.models import Company
with schema_context(Company.objects.get(slug="demo").schema_name):
    User.objects.update(status=User.Status.OFFLINE)  # opening the panel sets it online again
"""

REQUEST_CODE = """
import json
from django_tenants.utils import schema_context
from tenants.companies.models import Company
from inboxes.models import Conversation
with schema_context(Company.objects.get(slug="demo").schema_name):
    found = Conversation.objects.filter(is_request=True, contact__email={email!r}).first()
    print(json.dumps(found and {{"name": found.contact.name,
                                 "body": found.messages.get().body}}))
"""


def test_widget_offline_takes_a_request_full_screen_on_a_phone(
    demo_company: LiveStack,
    widget_dist: Path,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    stack.shell(OFFLINE_CODE)
    inbox = demo_inbox(stack)
    site = customer_site("127.0.0.1", SNIPPET.format(base=stack.base_url, key=inbox["key"]))
    visitor = new_context().new_page()
    visitor.set_viewport_size({"width": 390, "height": 760})
    visitor.goto(site)
    launcher = visitor.locator("messenger-chat")
    launcher.click()  # the inbox loads the chat on the first click
    frame = chat_frame(visitor)
    offline = frame.locator(".offline")
    expect(offline.locator("h2")).to_have_text("Сейчас никого нет на месте")
    expect(offline).to_contain_text("Оставьте заявку — мы свяжемся с вами.")
    expect(frame.locator("textarea.input")).to_be_hidden()
    assert frame.evaluate("[innerWidth, innerHeight]") == [390, 760]  # full screen
    expect(frame.get_by_label("Ваше имя")).to_be_focused()
    snap(shot, visitor, "offline form full screen on a phone")

    # Without a contact the form says so, next to the field.
    frame.get_by_role("textbox", name="Сообщение", exact=True).fill(
        "Please call me about a bulk order."
    )
    frame.get_by_role("button", name="Отправить заявку").click()
    expect(frame.get_by_label("Email или телефон")).to_have_attribute("aria-invalid", "true")
    expect(frame.locator("#e-contact")).to_have_text("Заполните это поле.")
    # A contact that is neither an address nor a number: said in the widget's language (the
    # browser asks for English), next to the field.
    frame.get_by_label("Email или телефон").fill("12345")
    frame.get_by_role("button", name="Отправить заявку").click()
    expect(frame.locator("#e-contact")).to_have_text("Введите корректный номер телефона.")
    frame.get_by_label("Ваше имя").fill("Olga")
    email = f"olga-{secrets.token_hex(3)}@example.com"
    frame.get_by_label("Email или телефон").fill(email)
    frame.get_by_role("button", name="Отправить заявку").click()
    expect(frame.locator(".card.thanks")).to_contain_text("Спасибо!")
    snap(shot, visitor, "request sent")
    stored = json.loads(stack.shell(REQUEST_CODE.format(email=email)).strip().splitlines()[-1])
    assert stored == {"name": "Olga", "body": "Please call me about a bulk order."}

    # The header's close button (the launcher is covered on a phone) closes the chat.
    visitor.evaluate("window.Messenger.on('close', () => { window.__closed = true; })")
    frame.get_by_role("button", name="Закрыть чат").click()
    visitor.wait_for_function("window.__closed === true")
    snap(shot, visitor, "closed again")


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


def test_widget_falls_back_to_sse_when_websockets_are_blocked(
    demo_company: LiveStack,
    widget_dist: Path,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    # Only the customer site is allowed: the stream passes by naming it (?site=).
    with demo_inbox_changed(stack, allowed_domains=["127.0.0.1"]) as inbox:
        operator = new_context().new_page()
        panel_login(operator, stack)
        panel_online(operator)
        context = new_context()
        context.add_init_script(BLOCK_WEBSOCKETS)  # in every frame, the chat's too
        visitor = context.new_page()
        streams: list[str] = []
        visitor.on(
            "request", lambda r: streams.append(r.url) if "/widget/v1/events" in r.url else None
        )
        visitor.goto(
            customer_site("127.0.0.1", SNIPPET.format(base=stack.base_url, key=inbox["key"]))
        )
        visitor.locator("messenger-chat").click()
        frame = chat_frame(visitor)
        text = f"Over SSE {secrets.token_hex(3)}"
        frame.locator("textarea.input").fill(text)
        frame.locator("textarea.input").press("Enter")  # sent over HTTP
        expect(frame.locator(".m.me[data-seq='1']")).to_be_visible()
        for _ in range(100):
            if streams:
                break
            visitor.wait_for_timeout(50)
        assert frame.evaluate("window.__socketTries") == 3
        assert streams and "&site=http" in streams[0], streams

        row = operator.locator("#dlg-rows .dlg-row").filter(has_text=text)
        row.click()
        operator.locator("#dlg-input").fill("Answer over the event stream")
        operator.locator("#dlg-input").press("Enter")
        expect(frame.locator(".log .m.op .body")).to_have_text("Answer over the event stream")
        expect(frame.locator(".m.me .ticks")).to_have_text("✓✓")
        snap(shot, visitor, "reply over server-sent events")


def test_widget_counts_characters_near_the_limit_and_refuses_a_longer_message_keeping_it(
    demo_company: LiveStack,
    widget_dist: Path,
    customer_site: Callable[[str, str], str],
    new_context: Callable[[], Any],
    shot: Any,
) -> None:
    stack = demo_company
    with demo_inbox_changed(stack, allowed_domains=["127.0.0.1"]) as inbox:
        operator = new_context().new_page()
        panel_login(operator, stack)
        panel_online(operator)
        visitor = new_context().new_page()
        visitor.goto(
            customer_site("127.0.0.1", SNIPPET.format(base=stack.base_url, key=inbox["key"]))
        )
        visitor.locator("messenger-chat").click()
        frame = chat_frame(visitor)
        composer = frame.locator("textarea.input")
        counter = frame.locator("#count")
        composer.fill("a" * 8_999)
        expect(counter).to_be_hidden()  # far from the limit: the hint, no counter
        expect(frame.locator("#hint")).to_be_visible()
        composer.fill("б" * 9_120)
        expect(counter).to_have_text(re.compile(r"^9\s120 / 10\s000$"))
        expect(frame.locator("#hint")).to_be_hidden()

        # Over the limit: refused with a message, nothing sent, the text kept as it was.
        too_long = "б" * 10_001
        composer.fill(too_long)
        expect(counter).to_have_class(re.compile(r"\bover\b"))
        composer.press("Enter")
        refusal = frame.locator(".composer .cerr")
        expect(refusal).to_have_text(
            re.compile(
                r"^Сообщение слишком длинное: не больше 10\s000 символов\. "
                r"Сократите его или отправьте частями\.$"
            )
        )
        snap(shot, visitor, "a message over the limit is refused and kept")
        assert composer.input_value() == too_long
        assert frame.locator(".log .m.me").count() == 0

        # Shortened to the limit, the message goes.
        composer.press("End")
        composer.press("Backspace")
        expect(refusal).to_be_hidden()
        composer.press("Enter")
        expect(frame.locator(".m.me[data-seq='1']")).to_be_visible()
        expect(counter).to_be_hidden()
