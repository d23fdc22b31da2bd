"""Panel pages of the inboxes app: the "Dialogs" section and the inbox settings list."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inboxes.models import Inbox
from tenants.accounts.permissions import panel_view


@panel_view()
def dialogs_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inboxes/dialogs.html", {"section": "dialogs"})


@panel_view(supervisor=True)
def analytics_view(request: HttpRequest) -> HttpResponse:
    return render(request, "inboxes/analytics.html", {"section": "analytics"})


@panel_view(admin=True)
def inbox_list_view(request: HttpRequest) -> HttpResponse:
    return render(
        request, "inboxes/inbox_list.html", {"inboxes": Inbox.objects.all(), "section": "inboxes"}
    )
