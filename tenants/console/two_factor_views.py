"""The console's second step after the password: enter a TOTP code, or enrol a device first."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.console import services, two_factor
from tenants.console.two_factor import CodeResult

View = Callable[..., HttpResponse]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _password_passed(view: View) -> View:
    """Staff who passed the password step on the base host (the second step not yet)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = getattr(request, "tenant", None)
        if company is not None and company.pk:
            raise Http404
        user = request.user
        if not (user.is_authenticated and user.is_staff and user.is_active):
            return redirect("console-login")
        return view(request, *args, **kwargs)

    return wrapped


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/console/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/console/"
    return target


def _check(request: HttpRequest, form: CodeForm, device: Any, action: str) -> HttpResponse | None:
    """Check the posted code; a redirect on success, None with the form's error otherwise."""
    if not form.is_valid():
        return None
    result = two_factor.code_check(request, device, form.cleaned_data["code"])
    if result is CodeResult.VERIFIED:
        services.audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action=action,
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return redirect(_next(request))
    if result is CodeResult.LIMITED:
        form.add_error(None, _("Too many wrong codes. Try again in a few minutes."))
    else:
        form.add_error("code", _("This code is not right. Enter the current one."))
    return None


@_password_passed
def verify_view(request: HttpRequest) -> HttpResponse:
    if two_factor.session_verified(request):
        return redirect(_next(request))
    device = two_factor.confirmed_device(request.user)  # type: ignore[arg-type]
    if device is None:
        return redirect(f"{reverse('console-2fa-enrol')}?{urlencode({'next': _next(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        done = _check(request, form, device, "console.2fa_verified")
        if done is not None:
            return done
    status = 429 if form.non_field_errors() else 200
    return render(
        request, "console/two_factor.html", {"form": form, "next": _next(request)}, status=status
    )


@_password_passed
def enrol_view(request: HttpRequest) -> HttpResponse:
    if two_factor.confirmed_device(request.user) is not None:  # type: ignore[arg-type]
        return redirect("console-2fa")
    device = two_factor.enrolment_device(request.user)  # type: ignore[arg-type]
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        done = _check(request, form, device, "console.2fa_enrolled")
        if done is not None:
            return done
    context = {
        "form": form,
        "next": _next(request),
        "qr": mark_safe(two_factor.qr_svg(device.config_url)),  # noqa: S308 (our own SVG)
        "uri": device.config_url,
        "secret": two_factor.device_secret(device),
    }
    status = 429 if form.non_field_errors() else 200
    return render(request, "console/two_factor_enrol.html", context, status=status)
