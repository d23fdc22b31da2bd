"""The getting-started checklist of a new company, computed from its real rows each time.

Nothing is stored about the steps themselves: an item is done when the data says so (an inbox
exists, the widget has been seen on a site, a teammate was invited or joined, a branch has
opening hours, an operator has replied). Only the admin's choice to hide it lives on the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from inboxes.models import Inbox, Message
from inboxes.models.routing import BusinessHoursInterval
from tenants.accounts.models import User
from tenants.organization.models import Branch, Invitation


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str | Promise
    done: bool
    url: str


@dataclass(frozen=True)
class Checklist:
    items: tuple[ChecklistItem, ...]

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items)

    @property
    def complete(self) -> bool:
        return all(item.done for item in self.items)


def onboarding_checklist() -> Checklist:
    """The five set-up steps of the current company's schema, each with where it is done."""
    first_inbox = Inbox.objects.order_by("pk").values_list("pk", flat=True).first()
    install_url = (
        reverse("inbox-edit", args=[first_inbox])
        if first_inbox is not None
        else reverse("inbox-create")
    )
    branch = Branch.objects.order_by("-is_default", "name").values_list("pk", flat=True).first()
    hours_url = reverse("branch-hours", args=[branch]) if branch else reverse("branch-list")
    teammate = Invitation.objects.exists() or User.objects.filter(is_active=True).count() > 1
    return Checklist(
        items=(
            ChecklistItem(
                "inbox", _("Create an inbox"), first_inbox is not None, reverse("inbox-create")
            ),
            ChecklistItem(
                "installed",
                _("Put the widget on your website"),
                Inbox.objects.filter(installed_at__isnull=False).exists(),
                install_url,
            ),
            ChecklistItem("teammate", _("Invite a teammate"), teammate, reverse("team")),
            ChecklistItem(
                "hours",
                _("Set your business hours"),
                BusinessHoursInterval.objects.exists(),
                hours_url,
            ),
            ChecklistItem(
                "answered",
                _("Answer your first chat"),
                Message.objects.filter(sender_type=Message.Sender.OPERATOR).exists(),
                reverse("dialogs"),
            ),
        )
    )
