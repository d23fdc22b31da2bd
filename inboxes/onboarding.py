"""The getting-started steps about inboxes' data (tenants/organization/onboarding.py keeps the
checklist): an inbox exists, the widget has been seen on a site, a branch has opening hours,
an operator has replied. Registered on import, from `InboxesConfig.ready`."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from inboxes.models import Inbox, Message
from inboxes.models.routing import BusinessHoursInterval
from tenants.organization.models import Branch
from tenants.organization.onboarding import checklist_step


def _first_inbox() -> int | None:
    return Inbox.objects.order_by("pk").values_list("pk", flat=True).first()


@checklist_step("inbox", _("Create an inbox"), order=10)
def inbox_created() -> tuple[bool, str]:
    return _first_inbox() is not None, reverse("inbox-create")


@checklist_step("installed", _("Put the widget on your website"), order=20)
def widget_installed() -> tuple[bool, str]:
    first_inbox = _first_inbox()
    url = (
        reverse("inbox-edit", args=[first_inbox])
        if first_inbox is not None
        else reverse("inbox-create")
    )
    return Inbox.objects.filter(installed_at__isnull=False).exists(), url


@checklist_step("hours", _("Set your business hours"), order=40)
def hours_set() -> tuple[bool, str]:
    branch = Branch.objects.order_by("-is_default", "name").values_list("pk", flat=True).first()
    url = reverse("branch-hours", args=[branch]) if branch else reverse("branch-list")
    return BusinessHoursInterval.objects.exists(), url


@checklist_step("answered", _("Answer your first chat"), order=50)
def first_answer() -> tuple[bool, str]:
    answered = Message.objects.filter(sender_type=Message.Sender.OPERATOR).exists()
    return answered, reverse("dialogs")
