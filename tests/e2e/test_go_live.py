"""A company goes live by itself: sign up with its website → its first inbox is there → the
snippet from the install page goes into a page on another origin → the install check turns
green while the admin watches → a visitor whose browser blocks third-party storage chats,
reloads, moves to another page and opens a second tab → the admin sees one conversation and
answers → the visitor sees the answer."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DEFAULT_TIMEOUT_MS, LiveStack, panel_online
from tests.e2e.test_signup_to_operator_login import PASSWORD, fill_signup
from tests.e2e.test_visitor_identity import _blocked_profile
from tests.e2e.test_widget_flow import chat_frame, customer_site, snap  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

SITE_HOST = "127.0.0.3"


def test_a_new_company_puts_its_first_inbox_on_its_site_and_takes_a_chat(
    live_stack: LiveStack,
    browser,  # type: ignore[no-untyped-def]
    new_context,
    customer_site,  # type: ignore[no-untyped-def]  # noqa: F811
    shot,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    slug = f"tundra-{secrets.token_hex(3)}"
    company = "Tundra Outfitters"

    # Sign up, naming the website.
    admin = new_context().new_page()
    admin.goto(f"{live_stack.base_url}/signup/")
    fill_signup(
        admin,
        company=company,
        slug=slug,
        name="Nina Owner",
        email=f"owner@{slug}.example.com",
        password=PASSWORD,
    )
    admin.fill("#id_website", f"http://{SITE_HOST}/")
    admin.click("button[type=submit]:has-text('Create company')")
    admin.wait_for_url(live_stack.company_url(slug, "/dialogs/"))

    # Settings → Inboxes: the first inbox is there, not yet on the site.
    admin.goto(live_stack.company_url(slug, "/settings/inboxes/"))
    row = admin.locator("table.table tbody tr").filter(has_text=company)
    expect(row).to_contain_text(SITE_HOST)
    expect(row).to_contain_text("not yet")
    shot(admin, "first inbox listed")
    row.locator("a").first.click()
    check = admin.locator("#install-check")
    expect(check).to_contain_text("Waiting for the chat to appear on your site")
    snippet = admin.locator("#embed-snippet").input_value()
    assert f"{live_stack.base_url}/cdn/loader.js" in snippet
    assert "data-messenger-key=" in snippet
    shot(admin, "install page waiting")

    # The snippet on the company's own site (another origin): the check turns green live. The
    # visitor's browser blocks third-party cookies and storage.
    site = customer_site(SITE_HOST, snippet)
    browsing = browser.browser_type.launch_persistent_context(
        str(_blocked_profile(tmp_path / "visitor")),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        locale="en-US",
    )
    browsing.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        visitor = browsing.new_page()
        visitor.goto(site)
        expect(visitor.locator("messenger-chat")).to_be_visible()
        expect(check).to_contain_text(f"Working: seen on {site.rstrip('/')}", timeout=20_000)
        expect(check).to_have_class("install-check ok")
        shot(admin, "install check green")

        # The admin opens Dialogs (coming online); the visitor writes, reloads, writes from
        # another page and from a second tab.
        admin.goto(live_stack.company_url(slug, "/dialogs/"))
        panel_online(admin)

        def write(page, url: str, text: str, seq: int):  # type: ignore[no-untyped-def]
            page.goto(url)
            page.locator("messenger-chat").click()
            frame = chat_frame(page)
            box = frame.locator("textarea.input")
            expect(box).to_be_enabled()
            expect(frame.locator(".m.me")).to_have_count(seq - 1)  # the history came back
            box.fill(text)
            box.press("Enter")
            expect(frame.locator(f".m.me[data-seq='{seq}']")).to_contain_text(text)
            return frame

        write(visitor, site, "Do you have sleeping bags for -30?", 1)
        write(visitor, site, "Still there after a reload?", 2)
        write(visitor, site + "catalogue", "Writing from the catalogue", 3)
        frame = write(browsing.new_page(), site + "cart", "And from a second tab", 4)

        # One conversation in the panel, with all four; the admin answers.
        dialog = admin.locator("#dlg-rows .dlg-row")
        expect(dialog).to_have_count(1, timeout=15_000)
        dialog.click()
        expect(admin.locator("#dlg-message-list .msg-visitor")).to_have_count(4)
        admin.locator("#dlg-input").fill("Yes, down to -40. Shall I reserve one?")
        admin.locator("#dlg-input").press("Enter")
        expect(frame.locator(".m.op").filter(has_text="down to -40")).to_be_visible()
        snap(shot, frame.page, "visitor sees the answer")
    finally:
        browsing.close()
