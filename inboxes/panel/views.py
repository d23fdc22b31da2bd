"""Panel pages of the inboxes app: the "Dialogs" and "Analytics" sections."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.entitlements import feature_required
from inboxes.models.message import BODY_MAX_LENGTH
from tenants.accounts.permissions import AuthenticatedRequest, panel_view
from tenants.organization.onboarding import onboarding_checklist


@panel_view()
def dialogs_view(request: AuthenticatedRequest) -> HttpResponse:
    checklist = None
    if request.user.is_company_admin and not request.user.onboarding_hidden:
        checklist = onboarding_checklist()
        if checklist.complete:
            checklist = None
    context = {"section": "dialogs", "checklist": checklist, "body_max": BODY_MAX_LENGTH}
    return render(request, "inboxes/dialogs.html", context)


@panel_view(supervisor=True)
@feature_required("analytics")
def analytics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inboxes/analytics.html", {"section": "analytics"})
