"""A company's billing from trial to read-only and back, with chats going on throughout.

A company signs up (trial) → the admin subscribes on the billing page for as many seats as
people → Checkout is completed in localstripe → at the limit, an invitation is refused → seats
are raised in Stripe → the invitation now goes out and the operator joins → a payment fails →
the panel shows the grace banner → the grace passes (the beat's task moves the account on) →
read-only: a settings change is refused with the reason, but a visitor's chat arrives and the
operator answers it → the payment succeeds → settings change again → every message is there.

What is real: the stack (uvicorn, Celery worker, PostgreSQL, Redis), Chromium, localstripe and
every webhook, which localstripe signs and POSTs to the server's endpoint (its `_config` API), and
which the server verifies and answers by reading the subscription back from localstripe. What
stands in: localstripe has neither Checkout nor the Customer Portal, so the Checkout Session
request is recorded and answered as Stripe does (tests/billing/localstripe.py), and the test
then does in localstripe what Checkout and the Portal would do (customer's card, subscription
with the requested price and quantity; a change of quantity invoiced at once).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import stripe
from playwright.sync_api import Page, expect

from tests.billing.localstripe import (
    StripeRecorder,
    checkout_session,
    localstripe_run,
    recorder_run,
    webhooks_send_to,
)
from tests.e2e.conftest import LIVE_MS, LiveStack, _require_chromium, panel_online, run_stack
from tests.e2e.test_signup_to_operator_login import INVITE_LINK_RE, PASSWORD, fill_signup
from tests.e2e.test_widget_flow import customer_site, snap  # noqa: F401 (fixture)
from tests.e2e.widget import chat_send, open_chat

pytestmark = pytest.mark.e2e

SECRET_KEY = "sk_test_e2e_billing"
WEBHOOK_SECRET = "whsec_e2e_billing"
SITE_HOST = "127.0.0.5"
GOOD_CARD = "4242424242424242"
# Stripe's test card that asks for 3-D Secure and is then declined (insufficient funds).
DECLINED_AFTER_3DS = "4000008260003178"
STATE_S = 15.0  # a webhook crosses localstripe → server → localstripe: poll up to this long


@dataclass
class BillingStack:
    stack: LiveStack
    stripe_api: str  # localstripe itself (the test's own calls)
    recorder: StripeRecorder  # what the server sent to "Stripe"


@pytest.fixture(scope="module")
def billing_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BillingStack]:
    """A stack of its own with Stripe configured: the server talks to localstripe through the
    recorder, and localstripe sends its signed webhooks to the server."""
    _require_chromium()
    with (
        localstripe_run() as api_base,
        recorder_run(StripeRecorder(upstream=api_base, checkout_answer=checkout_session)) as rec,
        run_stack(
            tmp_path_factory,
            name="e2ebill",
            extra_env={
                "STRIPE_SECRET_KEY": SECRET_KEY,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "STRIPE_API_BASE": rec.url,
                "BILLING_CURRENCY": "usd",
            },
        ) as stack,
    ):
        webhooks_send_to(api_base, f"{stack.base_url}/billing/webhooks/stripe/", WEBHOOK_SECRET)
        before = (stripe.api_key, stripe.api_base)
        stripe.api_key, stripe.api_base = SECRET_KEY, api_base
        try:
            yield BillingStack(stack=stack, stripe_api=api_base, recorder=rec)
        finally:
            stripe.api_key, stripe.api_base = before


def reload_until(page: Page, selector: str, text: str, timeout_s: float = STATE_S) -> None:
    """Reload `page` until `selector` shows `text` (the status is read on each request)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.reload()
        try:
            expect(page.locator(selector)).to_contain_text(text, timeout=1_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def card_default(customer: str, number: str) -> None:
    """The customer's card for the next charges (what they would enter in Checkout/the Portal)."""
    method = stripe.PaymentMethod.create(
        type="card", card={"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    )
    stripe.PaymentMethod.attach(method.id, customer=customer)
    stripe.Customer.modify(customer, invoice_settings={"default_payment_method": method.id})


def invoice_now(customer: str, subscription: str) -> Any:
    """Stripe's next invoice of the subscription, charged at once (a renewal, or a change of
    seats invoiced immediately)."""
    invoice = stripe.Invoice.create(customer=customer, subscription=subscription)
    return stripe.Invoice.pay(invoice.id)


def shell_company(stack: LiveStack, slug: str, code: str) -> str:
    """Run `code` with `company` bound, inside the company's schema."""
    body = "\n".join("    " + line for line in code.strip().splitlines())
    return stack.shell(
        "from django_tenants.utils import schema_context\n"
        "from tenants.companies.models import Company\n"
        f"company = Company.objects.get(slug={slug!r})\n"
        "with schema_context(company.schema_name):\n"
        f"{body}\n"
    )


def company_settings_save(admin: Page, stack: LiveStack, slug: str, name: str) -> None:
    admin.goto(stack.company_url(slug, "/settings/company/"))
    admin.fill("#company-form #id_name", name)
    admin.click("#company-form button[type=submit]")


def invite(admin: Page, stack: LiveStack, slug: str, email: str) -> None:
    admin.goto(stack.company_url(slug, "/settings/team/invite/"))
    admin.fill("#id_email", email)
    admin.fill("#id_full_name", "Olga")
    admin.select_option("#id_role", "operator")
    admin.locator("input[name=branches]").first.check()
    admin.click("button[type=submit]:has-text('Send invitation')")


def test_trial_to_paid_to_read_only_and_back_without_losing_a_chat(
    billing_stack: BillingStack,
    new_context,  # type: ignore[no-untyped-def]
    customer_site,  # type: ignore[no-untyped-def]  # noqa: F811
    shot,  # type: ignore[no-untyped-def]
) -> None:
    stack, recorder = billing_stack.stack, billing_stack.recorder
    slug = f"taiga-{secrets.token_hex(3)}"
    company = "Taiga Tea"
    admin_email, operator_email = f"owner@{slug}.example.com", f"olga@{slug}.example.com"
    billing_url = stack.company_url(slug, "/billing/")

    # Sign up: a trial.
    admin = new_context().new_page()
    admin.goto(f"{stack.base_url}/signup/")
    fill_signup(
        admin, company=company, slug=slug, name="Tanya Owner", email=admin_email, password=PASSWORD
    )
    admin.fill("#id_website", f"http://{SITE_HOST}/")
    admin.click("button[type=submit]:has-text('Create company')")
    admin.wait_for_url(stack.company_url(slug, "/dialogs/"))
    admin.goto(billing_url)
    expect(admin.locator("#billing-status")).to_have_text("Trial")
    expect(admin.locator("#billing-plan-name")).to_have_text("Trial")

    # Staff have put the Start plan's Stripe Price id in the catalogue (localstripe speaks
    # Plans: the Plan's id stands for the Price id).
    price_id = f"start-usd-month-{secrets.token_hex(3)}"
    price_pk, amount = shell_company(
        stack,
        slug,
        "from billing.models import PlanPrice\n"
        "p = PlanPrice.objects.get(plan__code='start', currency='usd', interval='month')\n"
        f"p.provider_price_id = {price_id!r}\n"
        "p.save(update_fields=['provider_price_id'])\n"
        "print(p.pk, p.amount_minor)",
    ).split()
    stripe.Plan.create(
        id=price_id, amount=int(amount), currency="usd", interval="month", product={"name": "Start"}
    )
    admin.reload()
    shot(admin, "trial billing page")

    # Subscribe to Start for one seat (the admin): the server asks Stripe for a Checkout.
    offer = admin.locator("form.plan-offer").filter(has=admin.locator("h3", has_text="Start"))
    offer.locator("select[name=price]").select_option(price_pk)
    offer.locator("input[name=seats]").fill("1")
    offer.locator("button:has-text('Subscribe')").click()
    admin.wait_for_url(billing_url + "?paid=1")
    [checkout] = recorder.checkouts()
    assert checkout.form["line_items[0][price]"] == price_id
    assert checkout.form["line_items[0][quantity]"] == "1"
    customer = checkout.form["customer"]

    # What Checkout does in Stripe: the card, then the subscription asked for. localstripe
    # sends the signed events; the server re-reads the subscription and the account is paid.
    card_default(customer, GOOD_CARD)
    subscription = stripe.Subscription.create(
        customer=customer,
        items=[{"plan": price_id, "quantity": int(checkout.form["line_items[0][quantity]"])}],
        metadata={"company_id": checkout.form["subscription_data[metadata][company_id]"]},
    )
    reload_until(admin, "#billing-status", "Active")
    expect(admin.locator("#billing-plan-name")).to_have_text("Start")
    expect(admin.locator("#billing-seats")).to_have_text("1 of 1 used")
    expect(admin.locator("#billing-subscribed")).to_be_visible()
    shot(admin, "subscribed to start for one seat")

    # Every seat is taken: inviting an operator is refused.
    invite(admin, stack, slug, operator_email)
    expect(admin.locator("main")).to_contain_text("All 1 paid seats are taken")
    shot(admin, "invitation refused at the seat limit")

    # Seats raised to two (as the Portal does; the change is invoiced at once).
    item = subscription["items"]["data"][0]["id"]
    stripe.Subscription.modify(subscription.id, items=[{"id": item, "quantity": 2}])
    assert invoice_now(customer, subscription.id).status == "paid"
    admin.goto(billing_url)
    reload_until(admin, "#billing-seats", "1 of 2 used")
    shot(admin, "two seats")

    # Now the invitation goes out and the operator joins.
    invite(admin, stack, slug, operator_email)
    admin.wait_for_url(stack.company_url(slug, "/settings/team/"))
    expect(admin.locator(".flash")).to_contain_text(f"Invitation sent to {operator_email}")
    link = INVITE_LINK_RE.search(stack.wait_for_email(operator_email).body)
    assert link, "no invitation link in the email"
    operator = new_context().new_page()
    operator.goto(link.group(0))
    operator.fill("#id_password", PASSWORD)
    operator.click("button[type=submit]:has-text('Join the team')")
    operator.wait_for_url(stack.company_url(slug, "/dialogs/"))

    # The snippet for the company's site (the first inbox, made at signup).
    admin.goto(stack.company_url(slug, "/settings/inboxes/"))
    admin.locator("table.table tbody tr").filter(has_text=company).locator("a").first.click()
    site = customer_site(SITE_HOST, admin.locator("#embed-snippet").input_value())

    # A renewal fails: the new card asks for 3-D Secure, then the bank declines it. localstripe
    # marks the subscription past_due and sends invoice.payment_failed.
    card_default(customer, DECLINED_AFTER_3DS)
    failed = invoice_now(customer, subscription.id)
    intent = stripe.PaymentIntent.retrieve(failed.payment_intent)
    declined = httpx.post(
        f"{billing_stack.stripe_api}/v1/payment_intents/{intent.id}/_authenticate",
        data={"client_secret": intent.client_secret, "success": "true"},
        auth=(SECRET_KEY, ""),
    )
    assert declined.status_code == 402, declined.text
    admin.goto(stack.company_url(slug, "/dialogs/"))
    reload_until(admin, "#billing-banner", "Payment is due")
    shot(admin, "grace banner in the panel")
    admin.goto(billing_url)
    expect(admin.locator("#billing-status")).to_have_text("Payment due")
    shot(admin, "billing page payment due")

    # The grace passes: the payment has been due for longer than GRACE_DAYS, and the beat's
    # task (run by the Celery worker) makes the account read-only.
    shell_company(
        stack,
        slug,
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from billing.models import GRACE_DAYS, Subscription\n"
        "Subscription.objects.filter(company=company).update(\n"
        "    past_due_since=timezone.now() - timedelta(days=GRACE_DAYS, hours=1))\n"
        "from billing.tasks import billing_tick\n"
        "billing_tick.delay()",
    )
    admin.goto(stack.company_url(slug, "/dialogs/"))
    reload_until(admin, "#billing-banner", "The account is read-only until payment")
    shot(admin, "read-only banner")

    # Read-only: a settings change is refused, with the reason.
    company_settings_save(admin, stack, slug, "Taiga Tea House")
    expect(admin.locator("h1")).to_have_text("Read-only until payment")
    expect(admin.locator("#read-only")).to_contain_text("people, inboxes and settings cannot")
    shot(admin, "settings change refused")

    # ...but a visitor's chat still arrives and the operator answers it. The admin steps away,
    # so the chat is routed to the operator.
    admin.goto(stack.company_url(slug, "/dialogs/"))
    away = admin.evaluate(
        """async () => {
            const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
            const r = await fetch("/api/v1/routing/status", {method: "POST",
                headers: {"X-CSRFToken": csrf, "Content-Type": "application/json"},
                body: JSON.stringify({status: "away"})});
            return r.status;
        }"""
    )
    assert away == 200
    panel_online(operator)
    visitor = new_context().new_page()
    visitor.goto(site)
    frame = open_chat(visitor)
    chat_send(frame, "Is my order of green tea on its way?")
    expect(frame.locator(".m.me").filter(has_text="green tea")).to_be_visible(timeout=LIVE_MS)
    row = operator.locator("#dlg-rows .dlg-row")
    expect(row).to_have_count(1, timeout=LIVE_MS)
    row.click()
    expect(operator.locator("#dlg-message-list .msg-visitor")).to_contain_text("green tea")
    operator.locator("#dlg-input").fill("Yes, it left the warehouse this morning.")
    operator.locator("#dlg-input").press("Enter")
    expect(frame.locator(".m.op").filter(has_text="left the warehouse")).to_be_visible(
        timeout=LIVE_MS
    )
    shot(operator, "operator answers while read-only")
    snap(shot, visitor, "visitor sees the answer while read-only")

    # The customer pays the open invoice with a working card: invoice.payment_succeeded.
    card_default(customer, GOOD_CARD)
    assert stripe.Invoice.pay(failed.id).status == "paid"
    admin.goto(billing_url)
    reload_until(admin, "#billing-status", "Active")
    expect(admin.locator("#billing-banner")).to_have_count(0)
    expect(admin.locator("#billing-seats")).to_have_text("2 of 2 used")
    shot(admin, "active again")

    # Everything is back: the same settings change now goes through.
    company_settings_save(admin, stack, slug, "Taiga Tea House")
    expect(admin.locator(".flash")).to_contain_text("Company settings saved.")
    expect(admin.locator(".sidebar-company strong")).to_have_text("Taiga Tea House")
    shot(admin, "settings saved again")

    # The chat goes on, and nothing sent in between was lost.
    chat_send(frame, "Thank you! One more box, please.")
    expect(operator.locator("#dlg-message-list .msg-visitor")).to_have_count(2, timeout=LIVE_MS)
    operator.locator("#dlg-input").fill("Added to your order.")
    operator.locator("#dlg-input").press("Enter")
    # Each answer shows once (an automatic note, such as the out-of-hours one at night in
    # the company's time zone, may stand beside them).
    expect(frame.locator(".m.op").filter(has_text="Added to your order.")).to_have_count(
        1, timeout=LIVE_MS
    )
    expect(frame.locator(".m.op").filter(has_text="left the warehouse")).to_have_count(1)
    counts = shell_company(
        stack,
        slug,
        "from inboxes.models import Conversation, Message\n"
        "print(Conversation.objects.count(),\n"
        "      Message.objects.filter(sender_type='visitor').count(),\n"
        "      Message.objects.filter(sender_type='operator').count())",
    ).split()
    assert counts == ["1", "2", "2"]
