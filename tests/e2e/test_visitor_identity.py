"""The visitor's identity is first-party: with third-party storage blocked (Chrome's "Block
third-party cookies", as Safari, Firefox strict and incognito windows do), the same visitor
keeps one conversation across a reload, another page of the site, a second tab and a browser
restart; nothing is lost or doubled and the history comes back in order. The demo page (the
chat on the Messenger host's own origin) keeps it across a browser restart the same way."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEFAULT_TIMEOUT_MS,
    LiveStack,
    panel_login,
    panel_online,
)
from tests.e2e.test_widget_flow import chat_frame, customer_site  # noqa: F401 (fixture)
from tests.e2e.widget import chat_send, open_demo_chat

pytestmark = pytest.mark.e2e

SITE_HOST = "127.0.0.4"
PASSWORD = "Glacier-Harbour-77"

SIGNUP = """
from tenants.companies.services import company_signup
from django_tenants.utils import schema_context
from inboxes.installation import embed_snippet
from inboxes.models import Inbox
result = company_signup(name="Fjord Shop", slug={slug!r}, admin_name="Olaf Owner",
    email={email!r}, password={password!r}, language="en", timezone_name="Europe/Moscow",
    website="http://{site}/")
with schema_context(result.company.schema_name):
    print(embed_snippet(Inbox.objects.get()))
"""

COUNTS = """
from django_tenants.utils import schema_context
from inboxes.models import Contact, Conversation, Message
from tenants.companies.models import Company
with schema_context(Company.objects.get(slug={slug!r}).schema_name):
    print(Contact.objects.count(), Conversation.objects.count(), Message.objects.count())
"""


def _blocked_profile(folder: Path) -> Path:
    """A Chromium profile whose settings block third-party cookies and site data."""
    (folder / "Default").mkdir(parents=True, exist_ok=True)
    prefs = {"profile": {"block_third_party_cookies": True, "cookie_controls_mode": 1}}
    (folder / "Default" / "Preferences").write_text(json.dumps(prefs))
    return folder


def test_one_conversation_across_reload_pages_tabs_and_restart_with_third_party_storage_blocked(
    live_stack: LiveStack,
    browser,  # type: ignore[no-untyped-def]
    new_context,
    customer_site,  # type: ignore[no-untyped-def]  # noqa: F811
    tmp_path: Path,
) -> None:
    slug = f"fjord-{secrets.token_hex(3)}"
    email = f"owner@{slug}.example.com"
    code = SIGNUP.format(slug=slug, email=email, password=PASSWORD, site=SITE_HOST)
    snippet = live_stack.shell(code).strip().splitlines()[-1]
    site = customer_site(SITE_HOST, snippet)

    # The owner is in the panel, so the chat is online.
    owner = new_context().new_page()
    panel_login(owner, live_stack, email=email, password=PASSWORD, slug=slug)
    panel_online(owner)

    profile = _blocked_profile(tmp_path / "profile")

    def browse(steps):  # type: ignore[no-untyped-def]
        """A browser session on the blocking profile; closing it is quitting the browser."""
        context = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, locale="en-US"
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            return steps(context)
        finally:
            context.close()

    def open_chat(page, url: str):  # type: ignore[no-untyped-def]
        page.goto(url)
        page.locator("messenger-chat").click()
        frame = chat_frame(page)
        expect(frame.locator("textarea.input")).to_be_enabled()
        return frame

    def send(frame, text: str, seq: int) -> None:  # type: ignore[no-untyped-def]
        box = frame.locator("textarea.input")
        box.fill(text)
        box.press("Enter")
        expect(frame.locator(f".m.me[data-seq='{seq}']")).to_contain_text(text)

    def history(frame) -> list[str]:  # type: ignore[no-untyped-def]
        return [t.strip() for t in frame.locator(".m.me .body").all_inner_texts()]

    def first_visit(context):  # type: ignore[no-untyped-def]
        page = context.new_page()
        frame = open_chat(page, site)
        # The setup holds: this frame may not use its own storage.
        probe = "() => { try { localStorage.getItem('x'); return 'open'; } catch { return 'no'; } }"
        assert frame.evaluate(probe) == "no"
        send(frame, "first, on the home page", 1)
        # A reload keeps the conversation.
        frame = open_chat(page, site)
        expect(frame.locator(".m.me")).to_have_count(1)
        send(frame, "second, after a reload", 2)
        # Another page of the site.
        frame = open_chat(page, site + "catalogue/boots")
        expect(frame.locator(".m.me")).to_have_count(2)
        send(frame, "third, on another page", 3)
        # A second tab.
        other = context.new_page()
        frame = open_chat(other, site + "cart")
        expect(frame.locator(".m.me")).to_have_count(3)
        send(frame, "fourth, in a second tab", 4)

    def after_restart(context):  # type: ignore[no-untyped-def]
        frame = open_chat(context.new_page(), site)
        expect(frame.locator(".m.me")).to_have_count(4)
        return history(frame)

    browse(first_visit)
    texts = browse(after_restart)

    assert texts == [
        "first, on the home page",
        "second, after a reload",
        "third, on another page",
        "fourth, in a second tab",
    ]
    contacts, conversations, messages = live_stack.shell(COUNTS.format(slug=slug)).split()
    assert (contacts, conversations) == ("1", "1")
    assert int(messages) >= 4  # and the system messages, if any


DEMO_COUNTS = """
from django_tenants.utils import schema_context
from inboxes.models import Conversation
with schema_context("co_demo"):
    found = Conversation.objects.filter(messages__body__startswith={prefix!r}).distinct()
    print(found.count(), found.first().messages.filter(body__startswith={prefix!r}).count())
"""


def test_the_demo_page_keeps_one_conversation_across_a_restart_with_third_party_storage_blocked(
    demo_company: LiveStack,
    new_context,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    stack = demo_company
    owner = new_context().new_page()  # someone online: the chat, not the offline form
    panel_login(owner, stack)
    panel_online(owner)
    profile = _blocked_profile(tmp_path / "profile")
    prefix = f"demo {secrets.token_hex(3)}"

    def visit(seq: int) -> list[str]:
        """Quit and start the browser, open the demo page's chat, write message `seq`."""
        context = owner.context.browser.browser_type.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, locale="en-US"
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            frame = open_demo_chat(context.new_page(), stack)
            expect(frame.locator(".log .m.me")).to_have_count(seq - 1)
            chat_send(frame, f"{prefix} #{seq}")
            expect(frame.locator(f".m.me[data-seq='{seq}']")).to_contain_text(f"#{seq}")
            return [t.strip() for t in frame.locator(".m.me .body").all_inner_texts()]
        finally:
            context.close()

    visit(1)
    assert visit(2) == [f"{prefix} #1", f"{prefix} #2"]
    assert stack.shell(DEMO_COUNTS.format(prefix=prefix)).split() == ["1", "2"]
