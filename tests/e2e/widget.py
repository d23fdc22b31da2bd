"""The shipping widget as the end-to-end tests drive it: the launcher `loader.js` draws in the
page (`<messenger-chat>`, a closed shadow root, so reached only as a whole) and the chat in its
frame (`/widget/frame/<key>/`, found by URL: no selector reaches into a closed shadow root).

The demo page (/demo/) embeds the demo inbox with the snippet customers get, on the Messenger
host itself: the frame is same-origin with the page there, so a test can also call the widget
API from the page with the visitor's token, which the loader keeps in the page's storage.
"""

from __future__ import annotations

from playwright.sync_api import Frame, Page, expect

from tests.e2e.conftest import LIVE_MS, LiveStack

FRAME_PATH = "/widget/frame/"

# The loader's first-party copy of the visitor token (src/loader.ts, TOKEN_KEY); null until the
# chat frame has started its session and handed the token over.
TOKEN_JS = """() => {
    const script = document.querySelector("script[data-messenger-key]");
    return localStorage.getItem(`messenger:${script.getAttribute("data-messenger-key")}`);
}"""


def chat_frame(page: Page) -> Frame:
    """The chat's iframe (inside the loader's closed shadow root, so found by URL)."""
    for _ in range(400):
        frame = next((f for f in page.frames if FRAME_PATH in f.url), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(25)
    raise AssertionError("the chat frame never appeared")


def open_chat(page: Page) -> Frame:
    """Click the launcher and wait until the chat is shown and ready to type in."""
    launcher = page.locator("messenger-chat")
    expect(launcher).to_be_visible()
    launcher.click()
    frame = chat_frame(page)
    # The loader shows the frame once the chat says it is ready (the frame element's style).
    page.wait_for_function(
        "el => getComputedStyle(el).visibility === 'visible'",
        arg=frame.frame_element(),
        timeout=LIVE_MS,
    )
    expect(frame.locator("textarea.input")).to_be_enabled(timeout=LIVE_MS)
    return frame


def open_demo_chat(page: Page, stack: LiveStack) -> Frame:
    """The demo page with its chat open."""
    page.goto(f"{stack.base_url}/demo/")
    return open_chat(page)


def chat_send(frame: Frame, text: str) -> None:
    """Type `text` into the chat and send it with Enter."""
    box = frame.locator("textarea.input")
    box.fill(text)
    box.press("Enter")


def visitor_token(page: Page) -> str:
    """The visitor's token, from the demo page's storage (once the chat has a session)."""
    return str(page.wait_for_function(TOKEN_JS, timeout=LIVE_MS).json_value())
