"""Company settings screens: the company itself, the getting-started checklist, branches, the
team, invitations; and accepting an invitation."""

from __future__ import annotations

from collections.abc import Sized

from django.contrib import auth, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from messenger.tenancy import company_url
from tenants.accounts import ratelimits
from tenants.accounts.models import User
from tenants.accounts.permissions import AuthenticatedRequest, panel_view
from tenants.companies.forms import CompanySettingsForm
from tenants.companies.services import company_settings_update
from tenants.organization import invitations, selectors, services
from tenants.organization.forms import (
    BranchForm,
    InvitationAcceptForm,
    InviteForm,
    OperatorCreateForm,
    OperatorEditForm,
)
from tenants.organization.models import Branch, Invitation
from tenants.organization.onboarding import onboarding_checklist


@panel_view(admin=True)
def branch_list_view(request: AuthenticatedRequest) -> HttpResponse:
    form = BranchForm(request.POST or None, initial={"timezone": request.tenant.timezone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.branch_create(
                name=data["name"],
                region=data["region"],
                timezone_name=data["timezone"],
                is_active=data["is_active"],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Branch created."))
            return redirect("branch-list")
    return render(
        request,
        "organization/branches.html",
        {"branches": selectors.branch_list(), "form": form, "section": "branches"},
    )


@panel_view(admin=True)
def branch_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    branch = get_object_or_404(Branch, pk=pk)
    initial = {
        "name": branch.name,
        "region": branch.region,
        "timezone": branch.timezone,
        "is_active": branch.is_active,
    }
    form = BranchForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.branch_update(
                branch=branch,
                name=data["name"],
                region=data["region"],
                timezone_name=data["timezone"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Branch saved."))
            return redirect("branch-list")
    return render(
        request,
        "organization/branch_edit.html",
        {"branch": branch, "form": form, "section": "branches"},
    )


@require_POST
@panel_view(admin=True)
def branch_make_default_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    branch = get_object_or_404(Branch, pk=pk)
    try:
        services.branch_set_default(branch=branch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is now the default branch.") % {"name": branch.name})
    return redirect("branch-list")


def _warn_if_branchless(request: HttpRequest, *, name: str, role: str, branches: Sized) -> None:
    warning = services.branchless_operator_warning(name=name, role=role, branch_count=len(branches))
    if warning:
        messages.warning(request, warning)


@panel_view(admin=True)
def team_view(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "organization/team.html",
        {
            "people": selectors.team_list(),
            "invitations": selectors.invitation_pending_list(),
            "invite_form": InviteForm(),
            "create_form": OperatorCreateForm(),
            "section": "team",
        },
    )


@panel_view(admin=True)
@ratelimits.invite_limit
def invite_view(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if ratelimits.limited(request):
        form.add_error(None, ratelimits.INVITE_LIMITED)
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = invitations.operator_invite(
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                branch_ids=[b.pk for b in data["branches"]],
                actor=request.user,
                accept_url_for=lambda token: company_url(
                    request.tenant, reverse("invitation-accept", args=[token])
                ),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = _("Invitation sent to %(email)s.") % {"email": sent.invitation.email}
            messages.success(request, " ".join(filter(None, [text, sent.replaced_summary()])))
            _warn_if_branchless(
                request,
                name=sent.invitation.full_name or sent.invitation.email,
                role=data["role"],
                branches=data["branches"],
            )
            return redirect("team")
    return render(
        request,
        "organization/person_form.html",
        {
            "form": form,
            "title": _("Invite a person"),
            "section": "team",
            "submit_label": _("Send invitation"),
        },
        status=429 if ratelimits.limited(request) else 200,
    )


@panel_view(admin=True)
def operator_create_view(request: AuthenticatedRequest) -> HttpResponse:
    form = OperatorCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.operator_create(
                email=data["email"],
                full_name=data["full_name"],
                password=data["password"],
                role=data["role"],
                branch_ids=[b.pk for b in data["branches"]],
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s can now log in.") % {"name": data["full_name"]})
            _warn_if_branchless(
                request, name=data["full_name"], role=data["role"], branches=data["branches"]
            )
            return redirect("team")
    return render(
        request,
        "organization/person_form.html",
        {"form": form, "title": _("Add a person"), "section": "team"},
    )


@panel_view(admin=True)
def operator_edit_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    initial = {
        "full_name": person.full_name,
        "role": person.role,
        "branches": list(person.branches.all()),
        "capacity": person.capacity,
    }
    form = OperatorEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.operator_update(
                user=person,
                full_name=data["full_name"],
                role=data["role"],
                branch_ids=[b.pk for b in data["branches"]],
                actor=request.user,
            )
            services.operator_capacity_set(user=person, capacity=data["capacity"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            _warn_if_branchless(
                request, name=data["full_name"], role=data["role"], branches=data["branches"]
            )
            return redirect("team")
    return render(
        request,
        "organization/person_form.html",
        {"form": form, "title": person.full_name, "person": person, "section": "team"},
    )


@require_POST
@panel_view(admin=True)
def operator_active_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    try:
        if request.POST.get("active") == "1":
            services.operator_reactivate(user=person)
            messages.success(request, _("%(name)s is active again.") % {"name": person.full_name})
        else:
            services.operator_deactivate(user=person, actor=request.user)
            messages.success(
                request, _("%(name)s is deactivated and logged out.") % {"name": person.full_name}
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("team")


@require_POST
@panel_view(admin=True)
def invitation_revoke_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    invitations.invitation_revoke(invitation=get_object_or_404(Invitation, pk=pk))
    messages.success(request, _("Invitation revoked."))
    return redirect("team")


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.invitation_by_token(token)
    if invitation is None:
        return render(request, "organization/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_error(None, exc)
            else:
                return render(request, "organization/invitation_invalid.html", status=404)
        else:
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("home")
    return render(
        request, "organization/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@panel_view(admin=True)
def onboarding_view(request: AuthenticatedRequest) -> HttpResponse:
    """The getting-started checklist on a page of its own, also once it is hidden or done."""
    return render(
        request,
        "organization/onboarding.html",
        {"checklist": onboarding_checklist(), "section": "onboarding"},
    )


@require_POST
@panel_view(admin=True)
def onboarding_visibility_view(request: AuthenticatedRequest) -> HttpResponse:
    hidden = request.POST.get("hidden") == "1"
    services.onboarding_visibility_set(user=request.user, hidden=hidden)
    if hidden:
        messages.info(request, _("Checklist hidden. Settings → Get started shows it again."))
    return redirect("dialogs")


@panel_view(admin=True)
def company_settings_view(request: AuthenticatedRequest) -> HttpResponse:
    """The company's name, language, time zone and logo (one look for every inbox is on the
    Inboxes page)."""
    company = request.tenant
    which = request.POST.get("form") if request.method == "POST" else None
    settings_form = CompanySettingsForm(
        request.POST if which == "company" else None,
        request.FILES if which == "company" else None,
        initial={"name": company.name, "language": company.language, "timezone": company.timezone},
    )
    if which == "company" and settings_form.is_valid():
        data = settings_form.cleaned_data
        try:
            company_settings_update(
                company=company,
                name=data["name"],
                language=data["language"],
                timezone_name=data["timezone"],
                logo=data["logo"],
                logo_remove=data["logo_remove"],
            )
        except ValidationError as exc:
            settings_form.add_error(None, exc)
        else:
            messages.success(request, _("Company settings saved."))
            return redirect("company-settings")
    return render(
        request,
        "organization/company.html",
        {
            "settings_form": settings_form,
            "section": "company",
        },
    )
