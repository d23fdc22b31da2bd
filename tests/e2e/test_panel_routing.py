"""The panel's routing side in real browsers: the operator's status, transferring a chat to another
branch live, Markdown and files both ways, offline requests in the list.

The demo company (`demo_seed`) has two branches, Москва (olga, maria) and Екатеринбург (ivan,
maria); visitors from localhost have no GeoIP region and land in the default branch, Москва.
"""

from __future__ import annotations

import base64
import io
import re
import uuid

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_ADMIN_EMAIL, LIVE_MS, LiveStack, panel_login, panel_online
from tests.e2e.widget import chat_send, open_demo_chat, visitor_token

pytestmark = pytest.mark.e2e

OLGA = "olga@demo.local"  # operator, Москва
IVAN = "ivan@demo.local"  # operator, Екатеринбург


# The operator's stored replies (one still on its way has an empty data-seq and .pending).
STORED_REPLIES = "#dlg-message-list .msg-operator[data-seq]:not(.pending)"


def set_everyone_offline(stack: LiveStack) -> None:
    """A known starting point: nobody of the demo company takes chats until their panel opens
    (earlier tests leave people online for the presence grace period)."""
    stack.shell(
        "from django_tenants.utils import schema_context\n"
        "from tenants.companies.models import Company\n"
        "from tenants.accounts.models import User\n"
        "with schema_context(Company.objects.get(slug='demo').schema_name):\n"
        "    User.objects.filter(email__endswith='@demo.local').update(status='offline')\n"
    )


def fetch(page, path: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """GET `path` from the page, with its session ({status, json | text}). In the page because
    Playwright's own HTTP client does not resolve *.localhost as Chromium does."""
    return page.evaluate(
        """async (path) => {
            const response = await fetch(path);
            const type = response.headers.get("content-type") || "";
            const body = type.includes("json") ? await response.json() : await response.text();
            return {status: response.status, body,
                    disposition: response.headers.get("content-disposition") || ""};
        }""",
        path,
    )


def api_get(page, path: str):  # type: ignore[no-untyped-def]
    """GET the panel API with the page's session."""
    result = fetch(page, f"/api/v1{path}")
    assert result["status"] == 200, (path, result)
    return result["body"]


def png_bytes(color: tuple[int, int, int] = (59, 91, 253)) -> bytes:
    image = Image.new("RGB", (240, 150), (245, 246, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 220, 130), fill=color)
    draw.ellipse((90, 45, 150, 105), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def visitor_conversation(visitor) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """The widget's visitor token and their open conversation's id."""
    token = visitor_token(visitor)
    conversation = visitor.evaluate(
        """async (token) => {
            const response = await fetch("/widget/v1/conversations", {method: "POST",
                headers: {Authorization: `Bearer ${token}`}});
            return response.json();
        }""",
        token,
    )
    return token, int(conversation["id"])


def page_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Uncaught script errors of `page` from now on (the list fills as they happen)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def status_box(page):  # type: ignore[no-untyped-def]
    return page.locator("#my-status-box")


def test_operator_sets_status_in_the_sidebar_and_the_api_follows(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    set_everyone_offline(stack)
    operator = new_context().new_page()
    errors = page_errors(operator)
    panel_login(operator, stack, OLGA)

    # Opening the panel is coming to work: an offline operator is set online by the server.
    select = operator.locator("#my-status")
    expect(select).to_have_value("online")
    expect(status_box(operator)).to_have_attribute("data-status", "online")
    assert api_get(operator, "/me")["status"] == "online"
    # Routing settings are for admins only.
    expect(operator.locator("#nav-routing")).to_have_count(0)

    with operator.expect_response(lambda r: r.url.endswith("/api/v1/routing/status") and r.ok):
        select.select_option("away")
    expect(status_box(operator)).to_have_attribute("data-status", "away")
    assert api_get(operator, "/me")["status"] == "away"
    shot(operator, "operator is away")

    # Another tab of the same operator follows live; a reload keeps "away" (not offline).
    other = operator.context.new_page()
    other.goto(stack.company_url("demo", "/dialogs/"))
    expect(other.locator("#my-status")).to_have_value("away")
    with operator.expect_response(lambda r: r.url.endswith("/api/v1/routing/status") and r.ok):
        select.select_option("busy")
    expect(other.locator("#my-status")).to_have_value("busy")
    expect(status_box(other)).to_have_attribute("data-status", "busy")

    with other.expect_response(lambda r: r.url.endswith("/api/v1/routing/status") and r.ok):
        other.locator("#my-status").select_option("online")
    expect(select).to_have_value("online")
    assert api_get(operator, "/me")["status"] == "online"
    shot(operator, "operator is online again")

    # The admin has the Routing link in Settings, between Team and Inboxes, on every page.
    admin = new_context().new_page()
    panel_login(admin, stack, DEMO_ADMIN_EMAIL)
    admin.goto(stack.company_url("demo", "/settings/team/"))
    links = admin.locator(".sidebar-nav a").evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    at = links.index("/settings/routing/")
    assert links[at - 1] == "/settings/team/" and links[at + 1] == "/settings/inboxes/", links
    admin.locator("#nav-routing").click()
    expect(admin).to_have_url(re.compile(r"/settings/routing/$"))
    expect(admin.locator("#nav-routing")).to_have_class(re.compile(r"\bactive\b"))
    expect(admin.locator("#my-status-box")).to_be_visible()

    # A routing alert (escalation found nobody free) reaches supervisors and admins as a toast,
    # on any page, with a link to the dialog.
    stack.shell(
        "from django_tenants.utils import schema_context\n"
        "from tenants.companies.models import Company\n"
        "from messenger.realtime import group, publish\n"
        "with schema_context(Company.objects.get(slug='demo').schema_name):\n"
        "    publish('routing.alert', {'conversation_id': 4242, 'branch_id': 1,\n"
        "        'message': 'A chat waits in Москва: nobody else is free to take it.'},\n"
        "        to=[group('staff')])\n"
    )
    toast = admin.locator("#panel-toasts .toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("A chat waits in Москва: nobody else is free to take it.")
    expect(toast.locator("a")).to_have_attribute("href", "/dialogs/#4242")
    shot(admin, "routing link status and an alert on a settings page")
    toast.locator(".toast-close").click()
    expect(toast).to_have_count(0)
    # Operators are not in the staff group: no toast for Olga.
    expect(operator.locator("#panel-toasts .toast")).to_have_count(0)
    assert errors == []


def test_operator_transfers_a_chat_to_another_branch_and_its_operator_sees_it_live(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    set_everyone_offline(stack)
    # Olga (Москва) and Ivan (Екатеринбург) open their panels: both come online.
    olga = new_context().new_page()
    errors = page_errors(olga)
    panel_login(olga, stack, OLGA)
    ivan = new_context().new_page()
    errors += page_errors(ivan)
    panel_login(ivan, stack, IVAN)
    expect(olga.locator("#my-status")).to_have_value("online")
    expect(ivan.locator("#my-status")).to_have_value("online")
    panel_online(olga)

    visitor = new_context().new_page()
    chat = open_demo_chat(visitor, stack)
    text = f"Can Yekaterinburg deliver my order? {uuid.uuid4().hex[:6]}"
    chat_send(chat, text)

    # Routed to Москва, where Olga is the only one online.
    row = olga.locator("#dlg-rows .dlg-row").filter(has_text=text)
    expect(row).to_be_visible()
    expect(row.locator(".dlg-row-assignee")).to_have_text("Ольга Смирнова")
    expect(row.locator(".dlg-pill-new")).to_be_visible()  # assigned to her, not opened yet
    row.click()
    expect(olga.locator("#dlg-subtitle")).to_contain_text("Ольга Смирнова")
    expect(olga.locator("#dlg-subtitle")).to_contain_text("Москва")
    expect(olga.locator("#contact-branch")).to_have_text("Москва")
    expect(olga.locator("#contact-reason")).not_to_be_empty()
    expect(olga.locator("#contact-history .dlg-history-item")).to_have_count(1)
    expect(ivan.locator("#dlg-rows .dlg-row").filter(has_text=text)).to_have_count(0)
    conversation_id = int(olga.evaluate("location.hash.slice(1)"))
    # Opening it told the server she is on it (her escalation timer stops).
    olga.wait_for_function(
        """async (id) => {
            const r = await fetch(`/api/v1/conversations/${id}`);
            return (await r.json()).opened_at !== null;
        }""",
        arg=conversation_id,
    )
    shot(olga, "olga opens the routed chat")

    # Transfer to Екатеринбург, first free operator, with a note.
    olga.locator("#dlg-transfer").click()
    modal = olga.locator("#transfer-dialog")
    expect(modal).to_be_visible()
    expect(olga.locator("#transfer-branch option:checked")).to_have_text("Екатеринбург")
    ivan_option = olga.locator("#transfer-operators li").filter(has_text="Иван Петров")
    expect(ivan_option).to_have_attribute("data-status", "online")
    expect(ivan_option.locator(".transfer-load")).to_have_text(re.compile(r"^\d+ чат"))
    maria_option = olga.locator("#transfer-operators li").filter(has_text="Мария Кузнецова")
    expect(maria_option).to_have_attribute("data-status", "offline")
    expect(olga.locator("#transfer-operators input[value='']")).to_be_checked()
    note = "Wants delivery to Yekaterinburg tomorrow"
    olga.locator("#transfer-note").fill(note)
    shot(olga, "transfer dialog")
    with olga.expect_response(lambda r: r.url.endswith("/transfer") and r.ok):
        olga.locator("#transfer-submit").click()
    expect(modal).to_be_hidden()
    # Olga no longer handles it: the notice says where it went and the reply box is off.
    expect(olga.locator("#dlg-notice")).to_contain_text("Иван Петров")
    expect(olga.locator("#dlg-notice")).to_contain_text("Екатеринбург")
    expect(olga.locator("#dlg-input")).to_be_disabled()
    expect(olga.locator("#dlg-transfer")).to_be_hidden()
    expect(row).to_have_count(0)
    shot(olga, "olga after the transfer")

    # Ivan sees it arrive live as a new dialog for him, with its unread message.
    ivan_row = ivan.locator("#dlg-rows .dlg-row").filter(has_text=text)
    expect(ivan_row).to_be_visible()
    expect(ivan_row.locator(".dlg-pill-new")).to_be_visible()
    expect(ivan_row.locator(".dlg-row-unread")).to_have_text("1")
    expect(ivan.locator("#dialogs-badge")).to_have_text("1")
    shot(ivan, "ivan gets the transferred chat live")
    ivan_row.click()
    expect(ivan.locator("#dlg-message-list .msg-visitor .msg-body")).to_have_text(text)
    expect(ivan.locator("#dlg-subtitle")).to_contain_text("Иван Петров")
    expect(ivan.locator("#contact-branch")).to_have_text("Екатеринбург")
    history = ivan.locator("#contact-history .dlg-history-item")
    expect(history).to_have_count(2)
    assert history.evaluate_all("items => items.map(i => i.dataset.reason)") == [
        "routing",
        "transfer",
    ]
    expect(history.nth(0)).to_contain_text("Ольга Смирнова")
    expect(history.nth(0)).to_contain_text("Москва")
    expect(history.nth(1).locator(".dlg-history-to")).to_contain_text("Иван Петров")
    expect(history.nth(1).locator(".dlg-history-to")).to_contain_text("Екатеринбург")
    expect(history.nth(1).locator(".dlg-history-by")).to_contain_text("Ольга Смирнова")
    expect(history.nth(1).locator(".dlg-history-note")).to_have_text(note)
    expect(ivan_row.locator(".dlg-pill-new")).to_have_count(0)
    expect(ivan.locator("#dialogs-badge")).to_be_hidden()
    ivan.wait_for_function(
        """async (id) => {
            const r = await fetch(`/api/v1/conversations/${id}`);
            return (await r.json()).opened_at !== null;
        }""",
        arg=conversation_id,
    )
    shot(ivan, "ivan sees the history")

    # Ivan answers; the visitor gets it.
    ivan.locator("#dlg-input").fill("Yes, tomorrow works.")
    ivan.locator("#dlg-input").press("Enter")
    expect(chat.locator(".m.op .body").last).to_have_text("Yes, tomorrow works.", timeout=LIVE_MS)
    expect(chat.locator(".m.op .who").last).to_have_text("Иван Петров")

    # Olga no longer sees it at all (an operator sees hers and unassigned chats).
    assert fetch(olga, f"/api/v1/conversations/{conversation_id}")["status"] == 404
    assert errors == []


def test_markdown_and_files_both_ways_and_requests_in_the_list(
    demo_company,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack = demo_company
    operator = new_context().new_page()
    errors = page_errors(operator)
    panel_login(operator, stack)  # the admin sees every dialog
    panel_online(operator)

    visitor_context = new_context()
    visitor = visitor_context.new_page()
    chat = open_demo_chat(visitor, stack)
    marker = uuid.uuid4().hex[:6]
    chat_send(chat, f"Hello {marker}")
    expect(chat.locator(".m.me[data-seq='1']")).to_be_visible()
    token, conversation_id = visitor_conversation(visitor)

    # The visitor sends a photo with a Markdown caption through the widget API.
    headers = {"Authorization": f"Bearer {token}", "Origin": stack.base_url}
    base = f"{stack.base_url}/widget/v1/conversations/{conversation_id}"
    uploaded = visitor_context.request.post(
        f"{base}/attachments",
        headers=headers,
        multipart={"file": {"name": "parcel.png", "mimeType": "image/png", "buffer": png_bytes()}},
    )
    assert uploaded.status == 201, uploaded.text()
    photo = uploaded.json()
    assert photo["is_image"] and photo["width"] == 240
    sent = visitor_context.request.post(
        f"{base}/messages",
        headers=headers,
        data={
            "body": "The box is **damaged**, see the _photo_:\n- corner\n- tape",
            "client_id": str(uuid.uuid4()),
            "attachment_ids": [photo["id"]],
        },
    )
    assert sent.status == 201, sent.text()

    row = operator.locator("#dlg-rows .dlg-row").filter(has_text=f"Hello {marker}")
    expect(row).to_have_count(0)  # the preview moved on to the caption
    row = operator.locator("#dlg-rows .dlg-row").filter(has_text="The box is **damaged**")
    expect(row).to_be_visible()
    row.click()
    last = operator.locator("#dlg-message-list .msg-visitor").last
    expect(last.locator(".msg-body strong")).to_have_text("damaged")
    expect(last.locator(".msg-body em")).to_have_text("photo")
    expect(last.locator(".msg-body li")).to_have_text(["corner", "tape"])
    image = last.locator(".msg-image img")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", "parcel.png")
    operator.wait_for_function(
        "img => img.complete && img.naturalWidth === 240", arg=image.element_handle()
    )
    shot(operator, "markdown and an image from the visitor")

    # The operator sends a file back with the paperclip.
    with operator.expect_file_chooser() as chooser:
        operator.locator("#dlg-attach").click()
    chooser.value.set_files(
        files=[
            {
                "name": "invoice.txt",
                "mimeType": "text/plain",
                "buffer": b"Invoice 42: 3000 RUB, paid.\n",
            }
        ]
    )
    chip = operator.locator("#dlg-files .dlg-file-chip")
    expect(chip).to_have_count(1)
    expect(chip.locator(".dlg-file-name")).to_have_text("invoice.txt")
    expect(operator.locator("#dlg-files .dlg-file-chip.uploading")).to_have_count(0)
    shot(operator, "a file ready to send")
    operator.locator("#dlg-input").fill("Here is your **invoice**.")
    operator.locator("#dlg-input").press("Enter")
    mine = operator.locator(STORED_REPLIES).last
    expect(mine.locator(".msg-file .msg-file-name")).to_have_text("invoice.txt")
    expect(mine.locator(".msg-body strong")).to_have_text("invoice")
    expect(operator.locator("#dlg-files")).to_be_hidden()
    download = fetch(operator, mine.locator(".msg-file").get_attribute("href"))
    assert download["status"] == 200 and download["body"] == "Invoice 42: 3000 RUB, paid.\n"
    assert download["disposition"].startswith("attachment")

    # A pasted screenshot goes as a file of its own, without text.
    operator.locator("#dlg-input").focus()
    operator.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], "image.png", {type: "image/png"}));
            document.getElementById("dlg-input").dispatchEvent(new ClipboardEvent("paste",
                {clipboardData: data, bubbles: true, cancelable: true}));
        }""",
        base64.b64encode(png_bytes((24, 160, 88))).decode(),
    )
    chip = operator.locator("#dlg-files .dlg-file-chip")
    expect(chip.locator(".dlg-file-name")).to_have_text(re.compile(r"-\d\d-\d\d-\d\d\.png$"))
    expect(chip.locator("img.dlg-file-thumb")).to_be_visible()
    expect(operator.locator("#dlg-files .dlg-file-chip.uploading")).to_have_count(0)
    operator.locator("#dlg-send").click()
    mine = operator.locator(STORED_REPLIES).last
    expect(mine.locator(".msg-image img")).to_be_visible()
    expect(mine.locator(".msg-body")).to_have_count(0)
    shot(operator, "operator sent a file and a screenshot")

    # The visitor's open chat shows both live: the file as a download, the screenshot as an
    # image; and the widget API gives them both.
    expect(chat.locator(".m.op .atts .file .fn")).to_have_text("invoice.txt", timeout=LIVE_MS)
    expect(chat.locator(".m.op .atts .img")).to_have_count(1, timeout=LIVE_MS)
    messages = visitor_context.request.get(f"{base}/messages", headers=headers).json()["messages"]
    files = [
        a["name"] for m in messages if m["sender_type"] == "operator" for a in m["attachments"]
    ]
    assert len(files) == 2 and files[0] == "invoice.txt" and files[1].endswith(".png"), files

    # An offline request: a "Request" pill and how long it has been waiting.
    requester = new_context().new_page()
    open_demo_chat(requester, stack)
    body = f"Please call me back about a refund {marker}"
    status, request_id = requester.evaluate(
        """async ([token, body]) => {
            const response = await fetch("/widget/v1/requests", {method: "POST",
                headers: {"Content-Type": "application/json", Authorization: `Bearer ${token}`},
                body: JSON.stringify({name: "Пётр", contact: "+7 900 000-00-00", body,
                                      client_id: crypto.randomUUID()})});
            return [response.status, (await response.json()).id];
        }""",
        [visitor_token(requester), body],
    )
    assert status == 201
    request_row = operator.locator("#dlg-rows .dlg-row").filter(has_text=body)
    expect(request_row).to_be_visible()
    expect(request_row.locator(".dlg-pill-request")).to_be_visible()
    expect(request_row.locator(".dlg-row-waiting")).to_have_text(re.compile(r"\d\d:\d\d"))
    request_row.click()
    expect(operator.locator("#dlg-subtitle")).to_contain_text(
        request_row.locator(".dlg-row-waiting").inner_text()
    )
    expect(operator.locator("#contact-history .dlg-history-empty")).to_be_visible()  # not routed
    shot(operator, "an offline request waits in the list")
    # The request email's link (/dialogs/?c=<id>) opens it, as #<id> like any other.
    link = operator.context.new_page()
    link.goto(operator.url.split("#")[0].split("?")[0] + f"?c={request_id}")
    link.wait_for_url(re.compile(rf"/dialogs/#{request_id}$"))
    expect(link.locator("#dlg-message-list")).to_contain_text(body)
    link.close()
    assert errors == []
