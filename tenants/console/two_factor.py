"""Platform staff's second factor: a TOTP device (django-otp) per staff member.

A password alone logs staff into a session that `staff_view` still refuses: the session must
also carry a confirmed device that verified a code (django-otp's session key). A staff member
without a confirmed device enrols one first (a QR code or the secret for their authenticator
app, then one code to confirm it). Wrong codes are counted per staff member and per address
(`RATELIMIT_CONSOLE_OTP`, failures only); the device's own throttling (django-otp) adds a
growing delay after each failure on top.
"""

from __future__ import annotations

import logging
from enum import Enum

import segno
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import get_usage

from tenants.accounts.models import User
from tenants.accounts.ratelimits import ip_key, rate_setting, user_key

log = logging.getLogger(__name__)

DEVICE_NAME = "authenticator"
_RULES = (("console_otp.user", user_key), ("console_otp.ip", ip_key))


class CodeResult(Enum):
    VERIFIED = "verified"
    WRONG = "wrong"
    LIMITED = "limited"


def session_verified(request: HttpRequest) -> bool:
    """Whether this session's user passed the second factor with a confirmed device of theirs."""
    persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return bool(device is not None and device.user_id == request.user.pk and device.confirmed)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device a staff member is enrolling (made once, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """The base32 secret, for typing into an authenticator app by hand."""
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no image file, no external service)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=4, omitsize=False)
    return svg


def _budget_spent(request: HttpRequest) -> bool:
    for group, key in _RULES:
        usage = get_usage(
            request, group=group, key=key, rate=rate_setting("RATELIMIT_CONSOLE_OTP"), method="POST"
        )
        if usage is not None and usage["count"] >= usage["limit"]:
            log.warning("rate limit reached", extra={"ratelimit": group})
            return True
    return False


def _failure_record(request: HttpRequest) -> None:
    for group, key in _RULES:
        get_usage(
            request,
            group=group,
            key=key,
            rate=rate_setting("RATELIMIT_CONSOLE_OTP"),
            method="POST",
            increment=True,
        )


def code_check(request: HttpRequest, device: TOTPDevice, code: str) -> CodeResult:
    """Check a code against the device; on success mark the session verified (and confirm a
    device being enrolled). Refused without checking while the failure budget is spent."""
    if _budget_spent(request):
        return CodeResult.LIMITED
    code = "".join((code or "").split())
    if not (code.isdigit() and device.verify_token(code)):
        _failure_record(request)
        return CodeResult.WRONG
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return CodeResult.VERIFIED
