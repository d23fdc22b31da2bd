"""Panel pages for inboxes (admins): the list, a new inbox, its settings and install page
(snippet, install check, identity secret, instructions for a developer), archive and restore."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from inboxes import installation
from inboxes.models import Inbox
from inboxes.panel.routing_forms import InboxForm, WidgetAppearanceForm
from inboxes.services import (
    INBOX_CHOICE_FIELDS,
    INBOX_TEXT_FIELDS,
    inbox_appearance_apply_all,
    inbox_archive,
    inbox_restore,
    inbox_update,
)
from inboxes.visitors.blocked import blocked_origins
from messenger.tasks import enqueue_on_commit
from tenants.accounts.permissions import AuthenticatedRequest, panel_view


class InboxCreateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    website = forms.CharField(
        label=gettext_lazy("Website"),
        max_length=253,
        help_text=gettext_lazy("The domain the chat will work on, e.g. shop.example.com."),
    )


class DeveloperEmailForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Developer's email"))


@panel_view(admin=True)
def inbox_list_view(request: HttpRequest) -> HttpResponse:
    """The company's inboxes, and one launcher colour and side for all of them."""
    inboxes = list(Inbox.objects.all())
    first = inboxes[0] if inboxes else None
    appearance_form = WidgetAppearanceForm(
        request.POST if request.method == "POST" else None,
        initial={
            "color": first.color if first else "#3b5bfd",
            "position": first.position if first else "right",
        },
    )
    if request.method == "POST" and appearance_form.is_valid():
        data = appearance_form.cleaned_data
        try:
            count = inbox_appearance_apply_all(color=data["color"], position=data["position"])
        except ValidationError as exc:
            appearance_form.add_error(None, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Colour and position applied to %(count)s inbox.",
                    "Colour and position applied to %(count)s inboxes.",
                    count,
                )
                % {"count": count},
            )
            return redirect("inbox-list")
    return render(
        request,
        "inboxes/inbox_list.html",
        {
            "inboxes": [i for i in inboxes if i.archived_at is None],
            "archived": [i for i in inboxes if i.archived_at is not None],
            "appearance_form": appearance_form,
            "section": "inboxes",
        },
    )


@panel_view(admin=True)
def inbox_create_view(request: HttpRequest) -> HttpResponse:
    form = InboxCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            inbox = installation.website_inbox_create(
                name=form.cleaned_data["name"],
                website=form.cleaned_data["website"],
                language=request.tenant.language,  # type: ignore[attr-defined]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Inbox created. Put the code below on your website."))
            return redirect("inbox-edit", pk=inbox.pk)
    return render(request, "inboxes/inbox_create.html", {"form": form, "section": "inboxes"})


@panel_view(admin=True)
def inbox_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=pk)
    initial = {
        "name": inbox.name,
        "allowed_domains": "\n".join(inbox.allowed_domains),
        "language": inbox.language,
        "color": inbox.color,
        "is_active": inbox.is_active,
        **{f: getattr(inbox, f) for f in INBOX_TEXT_FIELDS + INBOX_CHOICE_FIELDS},
    }
    form = InboxForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inbox_update(
                inbox=inbox,
                name=data["name"],
                allowed_domains=data["allowed_domains"].replace(",", "\n").splitlines(),
                language=data["language"],
                color=data["color"],
                is_active=data["is_active"] and inbox.archived_at is None,
                **{f: data[f] for f in INBOX_TEXT_FIELDS + INBOX_CHOICE_FIELDS},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Inbox saved."))
            return redirect("inbox-list")
    return render(
        request,
        "inboxes/inbox_edit.html",
        {
            "inbox": inbox,
            "form": form,
            "developer_form": DeveloperEmailForm(),
            "section": "inboxes",
            "snippet": installation.embed_snippet(inbox),
            "install": installation.install_status(inbox),
            "blocked": [
                (host, datetime.fromtimestamp(when, tz=UTC))
                for host, when in blocked_origins(inbox_id=inbox.pk)
            ],
        },
    )


@require_GET
@panel_view(admin=True)
def inbox_install_status_view(request: HttpRequest, pk: int) -> JsonResponse:
    """The install check, polled by the install page until the widget is seen."""
    inbox = get_object_or_404(Inbox, pk=pk)
    status = installation.install_status(inbox)
    status["blocked"] = [host for host, _when in blocked_origins(inbox_id=inbox.pk)]
    return JsonResponse(status)


@require_POST
@panel_view(admin=True)
def inbox_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=pk)
    if request.POST.get("action") == "restore":
        inbox_restore(inbox=inbox)
        messages.success(request, _("Inbox restored. Turn it on when it should take chats."))
    else:
        inbox_archive(inbox=inbox)
        messages.success(request, _("Inbox archived. Its chats stay readable in Dialogs."))
    return redirect("inbox-list")


@require_POST
@panel_view(admin=True)
def inbox_secret_rotate_view(request: HttpRequest, pk: int) -> HttpResponse:
    installation.identity_secret_rotate(inbox=get_object_or_404(Inbox, pk=pk))
    messages.success(
        request, _("A new secret is in place. Update it on your server: the old one is refused.")
    )
    return redirect("inbox-edit", pk=pk)


@require_POST
@panel_view(admin=True)
def inbox_instructions_send_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    inbox = get_object_or_404(Inbox, pk=pk)
    form = DeveloperEmailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid email address."))
        return redirect("inbox-edit", pk=pk)
    email = form.cleaned_data["email"]
    enqueue_on_commit(
        "inboxes.tasks.install_instructions_email", inbox.pk, email, request.user.full_name
    )  # type: ignore[union-attr]
    messages.success(request, _("Instructions sent to %(email)s.") % {"email": email})
    return redirect("inbox-edit", pk=pk)
