"""Panel pages of the inboxes app: the "Dialogs" and "Analytics" sections."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.accounts.permissions import panel_view


@panel_view()
def dialogs_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inboxes/dialogs.html", {"section": "dialogs"})


@panel_view(supervisor=True)
def analytics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inboxes/analytics.html", {"section": "analytics"})
