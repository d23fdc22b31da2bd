"""A company signs up, invites an operator by email, and the operator joins and logs in again.

Everything runs for real: uvicorn serves the ASGI app, a Celery worker sends the invitation
through Django's file email backend, and Chromium drives the pages on `<slug>.localhost`.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "Tundra-Lantern-42"
INVITE_LINK_RE = re.compile(r"https?://\S+/invite/[A-Za-z0-9_-]+/")


def fill_signup(
    page,
    *,
    company: str,
    slug: str,
    name: str,
    email: str,  # type: ignore[no-untyped-def]
    password: str,
) -> None:
    page.fill("#id_name", company)
    page.fill("#id_slug", slug)
    page.fill("#id_admin_name", name)
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    page.select_option("#id_language", "en")
    page.select_option("#id_timezone", "Europe/Moscow")


def test_signup_lands_admin_in_panel_and_invited_operator_joins_then_logs_in_again(
    live_stack,
    new_context,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    slug = f"polar-{secrets.token_hex(3)}"
    company = "Polar Bakery"
    panel = live_stack.company_url(slug)
    admin_email = f"owner@{slug}.example.com"
    operator_email = f"olga@{slug}.example.com"

    # The owner signs up on the base host and lands, logged in, on the company's panel.
    admin = new_context().new_page()
    admin.goto(f"{live_stack.base_url}/signup/")
    expect(admin.locator("h1")).to_have_text("Create your company")
    fill_signup(
        admin, company=company, slug=slug, name="Anna Owner", email=admin_email, password=PASSWORD
    )
    shot(admin, "signup form filled")
    admin.click("button[type=submit]:has-text('Create company')")
    admin.wait_for_url(live_stack.company_url(slug, "/dialogs/"))
    expect(admin.locator(".sidebar-company strong")).to_have_text(company)
    expect(admin.locator("h1")).to_have_text("Dialogs")
    expect(admin.locator(".sidebar-user")).to_contain_text("Anna Owner")
    shot(admin, "admin lands on dialogs")

    # Settings → Team → Invite by email, with the default branch ticked.
    admin.click("a:has-text('Team')")
    admin.wait_for_url(live_stack.company_url(slug, "/settings/team/"))
    expect(admin.locator(f"#team-table tr[data-email='{admin_email}']")).to_be_visible()
    shot(admin, "team page")
    admin.click("a:has-text('Invite by email')")
    admin.wait_for_url(live_stack.company_url(slug, "/settings/team/invite/"))
    admin.fill("#id_email", operator_email)
    admin.fill("#id_full_name", "Olga")
    admin.select_option("#id_role", "operator")
    branch = admin.locator("input[name=branches]").first
    branch.check()
    shot(admin, "invite form filled")
    admin.click("button[type=submit]:has-text('Send invitation')")
    admin.wait_for_url(live_stack.company_url(slug, "/settings/team/"))
    expect(admin.locator(".flash")).to_contain_text(f"Invitation sent to {operator_email}")
    expect(admin.locator("text=Pending invitations")).to_be_visible()
    shot(admin, "invitation pending")

    # The Celery worker writes the email; its link points at the company's host.
    message = live_stack.wait_for_email(operator_email)
    assert company in message.subject
    found = INVITE_LINK_RE.search(message.body)
    assert found, f"no invitation link in the email:\n{message.body}"
    link = found.group(0)
    assert link.startswith(panel.rstrip("/") + "/invite/"), link

    # The operator, in a browser of their own, accepts: name and password, then the panel.
    operator = new_context().new_page()
    operator.goto(link)
    expect(operator.locator("h1")).to_have_text(f"Join {company}")
    expect(operator.locator("#id_full_name")).to_have_value("Olga")
    operator.fill("#id_full_name", "Olga Operator")
    operator.fill("#id_password", PASSWORD)
    shot(operator, "operator accepts invitation")
    operator.click("button[type=submit]:has-text('Join the team')")
    operator.wait_for_url(live_stack.company_url(slug, "/dialogs/"))
    expect(operator.locator(".sidebar-company strong")).to_have_text(company)
    expect(operator.locator("#nav-dialogs")).to_be_visible()
    expect(operator.locator(".sidebar-user")).to_contain_text("Olga Operator")
    expect(operator.locator(".sidebar-user small")).to_have_text("Operator")
    # An operator sees no settings: neither the group title nor its links.
    expect(operator.locator(".sidebar .nav-group")).to_have_count(0)
    expect(operator.locator(".sidebar a[href^='/settings/']")).to_have_count(0)
    expect(operator.locator(".sidebar a[href='/analytics/']")).to_have_count(0)
    shot(operator, "operator panel")

    # The same link no longer works once used.
    used = new_context().new_page()
    used.goto(link)
    expect(used.locator("#id_password")).to_have_count(0)
    shot(used, "used invitation link")

    # Log out, then log in again with email and password.
    operator.click(".sidebar-user button:has-text('Log out')")
    operator.wait_for_url(re.compile(r"/login/"))
    expect(operator.locator("h1")).to_have_text(company)
    operator.goto(live_stack.company_url(slug, "/dialogs/"))
    operator.wait_for_url(re.compile(r"/login/"))  # logged out for real
    shot(operator, "operator logged out")
    operator.fill("#id_username", operator_email)
    operator.fill("#id_password", PASSWORD)
    operator.click("button[type=submit]:has-text('Log in')")
    operator.wait_for_url(live_stack.company_url(slug, "/dialogs/"))
    expect(operator.locator(".sidebar-user")).to_contain_text("Olga Operator")
    shot(operator, "operator logged in again")

    # The admin now sees the operator in the team, with the branch, and no pending invitation.
    admin.reload()
    row = admin.locator(f"#team-table tr[data-email='{operator_email}']")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("Olga Operator")
    expect(cells.nth(2)).to_have_text("Operator")
    expect(cells.nth(3)).to_have_text("Main office")
    expect(admin.locator("text=Pending invitations")).to_have_count(0)
    shot(admin, "team with operator")


def test_signup_rejects_reserved_subdomain_and_weak_password_and_creates_nothing(
    live_stack,
    page,
    shot,  # type: ignore[no-untyped-def]
) -> None:
    page.goto(f"{live_stack.base_url}/signup/")
    fill_signup(
        page,
        company="Admin Corp",
        slug="admin",
        name="Ivan",
        email="ivan@example.com",
        password="12345",
    )
    page.click("button[type=submit]:has-text('Create company')")
    page.wait_for_load_state()
    assert page.url.startswith(f"{live_stack.base_url}/signup/")
    expect(page.locator("#id_slug_error")).to_have_text("This subdomain is reserved.")
    password_error = page.locator(".field.has-error:has(#id_password) .error")
    expect(password_error.first).to_be_visible()
    expect(page.locator(".field.has-error:has(#id_password)")).to_contain_text("too short")
    # What the person typed is kept (except the password).
    expect(page.locator("#id_name")).to_have_value("Admin Corp")
    expect(page.locator("#id_email")).to_have_value("ivan@example.com")
    shot(page, "signup errors")

    # Nothing was created: the host answers that there is no company, and the email is free.
    response = live_stack.get("admin.localhost", "/login/")
    assert response.status_code == 404
    assert "There is no company here" in response.text
    nothing = page.context.new_page()
    nothing.goto(live_stack.company_url("admin", "/"))
    expect(nothing.locator("h1")).to_have_text("There is no company here")
    shot(nothing, "no company at admin subdomain")
    assert live_stack.shell(
        "from tenants.companies.models import Company\n"
        "print(Company.objects.filter(slug='admin').count(),"
        " Company.objects.filter(owner_email='ivan@example.com').count())"
    ).split() == ["0", "0"]
