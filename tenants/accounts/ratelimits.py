"""Rate limits of the account entry points: login (company and console), signup, finding
one's company to log in, invitations.

Counters live in the default cache through django-ratelimit. Every key starts with the schema
the request runs in, so one company's attempts never spend another company's budget (the
tenant-aware cache key function scopes them by schema as well). Rates are settings
("<count>/<period>", e.g. "10/15m"); an empty rate turns that one limit off, and
`RATELIMIT_ENABLE` turns them all off.

Logins count failures only: the budget is read before the password is checked and spent when
the attempt fails. An account whose budget is spent is held back only from the addresses that
failed on it: anyone who knows an email could otherwise lock its owner out for the whole window.
The owner, from an address that has not failed on the account, still gets in with the right
password; a wrong one from there counts and holds that address back too.

The read and the spend are not one atomic step, so attempts already in flight when the budget
runs out still finish (bounded by how many an attacker runs at once per window).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

from messenger.geo import client_ip
from messenger.schema import current_schema

log = logging.getLogger(__name__)

View = Callable[..., HttpResponse]
Key = Callable[[str, HttpRequest], str]
Rate = Callable[[str, HttpRequest], str | None]

LOGIN_LIMITED = _("Too many login attempts. Try again in a few minutes.")
SIGNUP_LIMITED = _("Too many signups from your network. Try again later.")
LOGIN_FIND_LIMITED = _("Too many requests from your network. Try again in a few minutes.")
INVITE_LIMITED = _("You have sent too many invitations. Try again later.")


def _schema() -> str:
    """The schema the request runs in (django-tenants sets it on the connection)."""
    return current_schema()


def ip_key(group: str, request: HttpRequest) -> str:
    """The schema and the client's address; for IPv6 its /64, which one customer usually holds
    whole (counting single addresses would let them rotate past the limit)."""
    ip = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        address = None
    if address is not None and address.version == 6:
        ip = str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return f"{_schema()}:{ip}"


def account_key(group: str, request: HttpRequest) -> str:
    """The schema and the email typed into the login form, as stored: trimmed, lower-cased."""
    email = request.POST.get("username", "").strip().lower()
    return f"{_schema()}:{email}"


def account_ip_key(group: str, request: HttpRequest) -> str:
    """The account (as `account_key`) and the client's address (as `ip_key`)."""
    return f"{account_key(group, request)}|{ip_key(group, request).split(':', 1)[1]}"


def user_key(group: str, request: HttpRequest) -> str:
    """The schema and the logged-in person."""
    return f"{_schema()}:{request.user.pk}"


def rate_setting(name: str) -> Rate:
    """A rate read from settings on each request (so tests can override it); empty is off."""
    return lambda group, request: getattr(settings, name) or None


def limited(request: HttpRequest) -> bool:
    """Whether a `*_limit` decorator found this request over its limit."""
    return bool(getattr(request, "limited", False))


# Each POST counts; past the limit the view still runs, sees `limited(request)` and refuses.
signup_limit: Callable[[View], View] = ratelimit(
    group="signup.ip",
    key=ip_key,
    rate=rate_setting("RATELIMIT_SIGNUP_IP"),
    method="POST",
    block=False,
)
# "I already have an account" on the base host: each POST may send an email.
login_find_limit: Callable[[View], View] = ratelimit(
    group="login_find.ip",
    key=ip_key,
    rate=rate_setting("RATELIMIT_LOGIN_FIND_IP"),
    method="POST",
    block=False,
)


def address_key(group: str, request: HttpRequest) -> str:
    """The schema and the address typed into the "find my company" form, trimmed, lower-cased."""
    return f"{_schema()}:{request.POST.get('address', '').strip().lower()}"


def login_find_email_allowed(request: HttpRequest) -> bool:
    """Count one more login-links email to the typed address; False past its limit. The page
    answers the same either way (it must not tell whether the address has companies), so from
    many networks at once nobody can still flood one mailbox with login links."""
    usage = get_usage(
        request,
        group="login_find.email",
        key=address_key,
        rate=rate_setting("RATELIMIT_LOGIN_FIND_EMAIL"),
        method="POST",
        increment=True,
    )
    if usage is not None and usage["should_limit"]:
        log.warning("rate limit reached", extra={"ratelimit": "login_find.email"})
        return False
    return True


invite_limit: Callable[[View], View] = ratelimit(
    group="invite.user",
    key=user_key,
    rate=rate_setting("RATELIMIT_INVITE_USER"),
    method="POST",
    block=False,
)

_LOGIN_RULES: tuple[tuple[str, Key, str], ...] = (
    ("login.ip", ip_key, "RATELIMIT_LOGIN_IP"),
    ("login.account", account_key, "RATELIMIT_LOGIN_ACCOUNT"),
    # Failures on one account from one address, over the account's window.
    ("login.account_ip", account_ip_key, "RATELIMIT_LOGIN_ACCOUNT"),
)


def _usage(request: HttpRequest, group: str, key: Key, setting: str) -> dict[str, Any] | None:
    return get_usage(request, group=group, key=key, rate=rate_setting(setting), method="POST")


def login_budget_spent(request: HttpRequest) -> bool:
    """Whether this address has used up its failed logins, or the account has and this address
    is one that failed on it."""
    # `count` is the failures so far: refuse the next attempt once it reaches the limit.
    by_ip = _usage(request, "login.ip", ip_key, "RATELIMIT_LOGIN_IP")
    if by_ip is not None and by_ip["count"] >= by_ip["limit"]:
        log.warning("rate limit reached", extra={"ratelimit": "login.ip"})
        return True
    by_account = _usage(request, "login.account", account_key, "RATELIMIT_LOGIN_ACCOUNT")
    if by_account is not None and by_account["count"] >= by_account["limit"]:
        here = _usage(request, "login.account_ip", account_ip_key, "RATELIMIT_LOGIN_ACCOUNT")
        if here is not None and here["count"] > 0:
            log.warning("rate limit reached", extra={"ratelimit": "login.account"})
            return True
    return False


def login_failure_record(request: HttpRequest) -> None:
    """Spend one failed login from the address's and the account's budgets."""
    for group, key, setting in _LOGIN_RULES:
        get_usage(
            request,
            group=group,
            key=key,
            rate=rate_setting(setting),
            method="POST",
            increment=True,
        )


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Refuses before the password is checked while the request's failed-login budget is spent."""

    error_messages = {**AuthenticationForm.error_messages, "rate_limited": LOGIN_LIMITED}

    def clean(self) -> dict[str, Any]:
        if self.request is not None and login_budget_spent(self.request):
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        return super().clean()


class RateLimitedLoginView(LoginView):
    """A LoginView that answers 429 while the budget is spent and counts each failed attempt."""

    form_class = RateLimitedAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        login_failure_record(self.request)
        return super().form_invalid(form)
