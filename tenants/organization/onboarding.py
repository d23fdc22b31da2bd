"""The getting-started checklist of a new company, computed from its real rows each time.

Nothing is stored about the steps themselves: an item is done when the data says so. Each app
registers the steps about its own data (`checklist_step`, from its `AppConfig.ready`): the
team step is here; the inbox, widget, business-hours and first-answer steps are inboxes'
(inboxes/onboarding.py), so this app reads no table of theirs. Only the admin's choice to hide
the checklist lives on the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.accounts.models import User
from tenants.organization.models import Invitation

StepCheck = Callable[[], tuple[bool, str]]  # (done, where it is done)


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


@dataclass(frozen=True)
class _Step:
    order: int
    key: str
    title: str | Promise
    check: StepCheck


_steps: dict[str, _Step] = {}


def checklist_step(
    key: str, title: str | Promise, *, order: int
) -> Callable[[StepCheck], StepCheck]:
    """Register a step: the decorated function says whether it is done and where."""

    def register(check: StepCheck) -> StepCheck:
        _steps[key] = _Step(order, key, title, check)
        return check

    return register


@checklist_step("teammate", _("Invite a teammate"), order=30)
def _teammate() -> tuple[bool, str]:
    invited = Invitation.objects.exists() or User.objects.filter(is_active=True).count() > 1
    return invited, reverse("team")


def onboarding_checklist() -> Checklist:
    """The set-up steps of the current company's schema, in order, each with where it is
    done."""
    items = []
    for step in sorted(_steps.values(), key=lambda s: s.order):
        done, url = step.check()
        items.append(ChecklistItem(step.key, step.title, done, url))
    return Checklist(items=tuple(items))
