"""Rate limits of the account entry points: failed logins (company and console), signup, invites.

Every test counts under a cache prefix of its own, so no test spends another's budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory, override_settings
from django_tenants.utils import schema_context

from tenants.accounts.ratelimits import ip_key
from tenants.companies.models import Company
from tenants.console.models import ConsoleAuditRecord
from tenants.organization.models import Invitation
from tests.conftest import OPERATOR_EMAIL, TenantWorld
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMITED_EN = "Too many login attempts. Try again in a few minutes."
LIMITED_RU = "Слишком много попыток входа. Попробуйте снова через несколько минут."
WRONG = "not-the-password"


@pytest.fixture(autouse=True)
def own_counters() -> Iterator[None]:
    """A fresh cache prefix per test; its keys are deleted afterwards, nobody else's."""
    prefix = f"rl-test-{uuid.uuid4().hex}:"
    with override_settings(RATELIMIT_ENABLE=True, RATELIMIT_CACHE_PREFIX=prefix):
        yield
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    stale = list(redis.scan_iter(match=f"*{prefix}*"))
    if stale:
        redis.delete(*stale)


def log_in(client: Client, email: str, password: str, path: str = "/login/"):  # type: ignore[no-untyped-def]
    return client.post(path, {"username": email, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@override_settings(RATELIMIT_LOGIN_IP="100/m", RATELIMIT_LOGIN_ACCOUNT="3/15m")
def test_after_the_failed_login_limit_even_the_right_password_is_refused_with_429(acme):
    # given three wrong passwords for one account, the email typed in different cases
    client = acme.client()
    for email in (OPERATOR_EMAIL, OPERATOR_EMAIL.upper(), f" {OPERATOR_EMAIL} "):
        assert log_in(client, email, WRONG).status_code == 200
    # when the right password comes next
    response = log_in(client, OPERATOR_EMAIL, PASSWORD)
    # then it is refused without getting in, with the reason on the form
    assert response.status_code == 429
    assert LIMITED_EN in response.text
    assert not logged_in(client)
    # and another person of the company is not held back by it
    assert log_in(acme.client(), acme.admin_email, PASSWORD).status_code == 302


@override_settings(RATELIMIT_LOGIN_IP="100/m", RATELIMIT_LOGIN_ACCOUNT="3/15m")
def test_a_spent_account_budget_still_lets_its_owner_in_from_an_address_that_never_failed(acme):
    # given someone who knows the operator's email spent the account's budget from two addresses
    attacker = Client(HTTP_HOST=acme.host, REMOTE_ADDR="198.51.100.20")
    other_attacker = Client(HTTP_HOST=acme.host, REMOTE_ADDR="198.51.100.21")
    for client in (attacker, attacker, other_attacker):
        assert log_in(client, OPERATOR_EMAIL, WRONG).status_code == 200
    # then those addresses are refused even with the right password
    assert log_in(attacker, OPERATOR_EMAIL, PASSWORD).status_code == 429
    assert log_in(other_attacker, OPERATOR_EMAIL, PASSWORD).status_code == 429
    # but the owner, from an address that never failed on the account, gets in
    owner = Client(HTTP_HOST=acme.host, REMOTE_ADDR="203.0.113.44")
    assert log_in(owner, OPERATOR_EMAIL, PASSWORD).status_code == 302
    assert logged_in(owner)
    # and a fresh address that guesses wrong is held back from then on
    guesser = Client(HTTP_HOST=acme.host, REMOTE_ADDR="203.0.113.45")
    assert log_in(guesser, OPERATOR_EMAIL, WRONG).status_code == 200
    assert log_in(guesser, OPERATOR_EMAIL, PASSWORD).status_code == 429


@override_settings(RATELIMIT_LOGIN_IP="3/m", RATELIMIT_LOGIN_ACCOUNT="100/15m")
def test_the_address_limit_refuses_every_account_from_that_address_only(acme):
    # given three failures from one address, each for a different account
    client = Client(HTTP_HOST=acme.host, REMOTE_ADDR="198.51.100.7")
    for email in ("a@example.com", "b@example.com", "c@example.com"):
        assert log_in(client, email, WRONG).status_code == 200
    # then the address is refused even for a real account with its password
    assert log_in(client, acme.admin_email, PASSWORD).status_code == 429
    assert not logged_in(client)
    # and another address gets in
    other = Client(HTTP_HOST=acme.host, REMOTE_ADDR="198.51.100.8")
    assert log_in(other, acme.admin_email, PASSWORD).status_code == 302


@override_settings(
    RATELIMIT_LOGIN_IP="2/m", RATELIMIT_LOGIN_ACCOUNT="100/15m", TRUSTED_PROXIES=["10.0.0.0/8"]
)
def test_the_address_limit_follows_the_client_ip_forwarded_by_a_trusted_proxy(acme):
    # given two failures from one visitor behind the load balancer
    def via_proxy(visitor: str) -> Client:
        return Client(HTTP_HOST=acme.host, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=visitor)

    for _ in range(2):
        assert log_in(via_proxy("203.0.113.5"), acme.admin_email, WRONG).status_code == 200
    # then that visitor is refused, and another visitor behind the same proxy is not
    assert log_in(via_proxy("203.0.113.5"), acme.admin_email, PASSWORD).status_code == 429
    assert log_in(via_proxy("203.0.113.6"), acme.admin_email, PASSWORD).status_code == 302


@override_settings(RATELIMIT_LOGIN_IP="3/m", RATELIMIT_LOGIN_ACCOUNT="3/15m")
def test_a_limited_email_in_one_company_does_not_block_the_same_email_in_another(acme, globex):
    # given op@example.com of Acme is limited, by address and by account, from this address
    acme_client = acme.client()
    for _ in range(3):
        log_in(acme_client, OPERATOR_EMAIL, WRONG)
    assert log_in(acme_client, OPERATOR_EMAIL, PASSWORD).status_code == 429
    # when Globex's op@example.com logs in from the same address
    globex_client = globex.client()
    response = log_in(globex_client, OPERATOR_EMAIL, PASSWORD)
    # then they get in
    assert response.status_code == 302
    assert logged_in(globex_client)


@override_settings(RATELIMIT_LOGIN_IP="2/m", RATELIMIT_LOGIN_ACCOUNT="2/15m")
def test_successful_logins_do_not_spend_the_failed_login_budget(acme):
    # given more successful logins than the limit
    for _ in range(3):
        assert log_in(acme.client(), OPERATOR_EMAIL, PASSWORD).status_code == 302
    # then a wrong password is still checked, and the right one still gets in
    wrong = log_in(acme.client(), OPERATOR_EMAIL, WRONG)
    assert wrong.status_code == 200 and LIMITED_EN not in wrong.text
    assert log_in(acme.client(), OPERATOR_EMAIL, PASSWORD).status_code == 302


@override_settings(RATELIMIT_LOGIN_IP="1/m", RATELIMIT_LOGIN_ACCOUNT="1/15m")
def test_the_login_refusal_is_in_the_companys_language(acme):
    acme.company.language = "ru"
    acme.company.save()
    client = acme.client()
    log_in(client, OPERATOR_EMAIL, WRONG)
    response = log_in(client, OPERATOR_EMAIL, PASSWORD)
    assert response.status_code == 429
    assert LIMITED_RU in response.text


@override_settings(RATELIMIT_ENABLE=False, RATELIMIT_LOGIN_IP="1/m", RATELIMIT_LOGIN_ACCOUNT="1/m")
def test_no_login_is_refused_while_rate_limits_are_disabled(acme):
    client = acme.client()
    for _ in range(3):
        assert log_in(client, OPERATOR_EMAIL, WRONG).status_code == 200
    assert log_in(client, OPERATOR_EMAIL, PASSWORD).status_code == 302


@override_settings(RATELIMIT_LOGIN_IP="100/m", RATELIMIT_LOGIN_ACCOUNT="2/15m")
def test_console_login_is_refused_with_429_after_the_failed_attempts(staff):
    client = Client(HTTP_HOST="localhost")
    for _ in range(2):
        assert log_in(client, staff.email, WRONG, "/console/login/").status_code == 200
    response = log_in(client, staff.email, PASSWORD, "/console/login/")
    assert response.status_code == 429
    assert LIMITED_EN in response.text
    assert not logged_in(client)
    assert not ConsoleAuditRecord.objects.filter(action="console.login").exists()


def signup_data(slug: str) -> dict[str, str]:
    return {
        "name": "Limited Shop",
        "slug": slug,
        "admin_name": "Lena Admin",
        "email": f"lena@{slug}.example",
        "password": PASSWORD,
        "language": "en",
        "timezone": "Europe/Moscow",
    }


@override_settings(RATELIMIT_SIGNUP_IP="2/h")
def test_signup_posts_past_the_limit_get_429_and_create_nothing(base_client):
    # given two signup attempts from this address (incomplete forms: quick, nothing created)
    for _ in range(2):
        assert base_client.post("/signup/", {"name": "Half a form"}).status_code == 200
    # when a complete signup follows
    response = base_client.post("/signup/", signup_data("limited"), HTTP_ACCEPT_LANGUAGE="en")
    # then it is refused and no company exists
    assert response.status_code == 429
    assert "Too many signups from your network. Try again later." in response.text
    assert not Company.objects.filter(slug="limited").exists()
    # and the page itself still opens, in Russian for a Russian browser
    assert base_client.get("/signup/").status_code == 200
    russian = base_client.post("/signup/", signup_data("limited"), HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.status_code == 429
    assert "Слишком много регистраций из вашей сети. Попробуйте позже." in russian.text


@override_settings(RATELIMIT_INVITE_USER="2/h")
def test_invitations_past_the_limit_get_429_and_send_nothing(
    acme: TenantWorld, django_capture_on_commit_callbacks
):
    # given an admin who has sent two invitations
    client = acme.login()
    for n in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/settings/team/invite/", {"email": f"new{n}@example.com", "role": "operator"}
            )
        assert response.status_code == 302
    # when a third follows
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/settings/team/invite/", {"email": "third@example.com", "role": "operator"}
        )
    # then it is refused, with no invitation made and no email sent
    assert response.status_code == 429
    assert "You have sent too many invitations. Try again later." in response.text
    assert len(mail.outbox) == 2
    with schema_context(acme.company.schema_name):
        assert not Invitation.objects.filter(email="third@example.com").exists()
    # and the form still opens
    assert client.get("/settings/team/invite/").status_code == 200


def test_an_ipv6_client_is_counted_by_its_64_block():
    def key(ip: str) -> str:
        return ip_key("login.ip", RequestFactory().post("/", REMOTE_ADDR=ip))

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9")
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("198.51.100.1") != key("198.51.100.2")
