"""Business hours and branch choice: region → branch (rules, else the default), then whether
that branch is open now, the out-of-hours fallback order, what the widget shows, and the
out-of-hours message a waiting visitor gets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from inboxes.conversations.messages import message_create
from inboxes.models import Conversation, RoutingSettings
from inboxes.routing import policy, selectors
from messenger.geo import GeoLocation
from tenants.organization.models import Branch


@dataclass(frozen=True)
class BranchDecision:
    branch: Branch | None
    reason: str
    out_of_hours: bool  # nobody may take it now: wait with the auto message, or offline


def _region_reason(geo: GeoLocation | None, branch: Branch | None, rule_used: bool) -> str:
    target = branch.name if branch else "—"
    if geo is None or not geo.country_code:
        return _("Region unknown → default branch %(branch)s") % {"branch": target}
    where = geo.describe(translation.get_language() or "en")
    if rule_used:
        return _("GeoIP: %(region)s → %(branch)s") % {"region": where, "branch": target}
    return _("GeoIP: %(region)s, no rule → default branch %(branch)s") % {
        "region": where,
        "branch": target,
    }


def branch_decide(*, geo: GeoLocation | None, at: Any = None) -> BranchDecision:
    """Region → branch (rules, else default), then business hours and the fallback order."""
    active = {b.pk: b for b in Branch.objects.filter(is_active=True)}
    default = next((b for b in active.values() if b.is_default), None)
    choice = policy.branch_for_region(
        selectors.rules_for_policy(),
        country_code=geo.country_code if geo else "",
        region_code=geo.region_code if geo else "",
        usable_branch_ids=set(active),
        default_branch_id=default.pk if default else None,
    )
    branch = active.get(choice.branch_id) if choice.branch_id else None
    reason = _region_reason(geo, branch, choice.rule is not None)
    if branch is None or selectors.branch_is_open(branch, at):
        return BranchDecision(branch, reason, out_of_hours=False)
    config = RoutingSettings.current()
    if config.out_of_hours == RoutingSettings.OutOfHours.FALLBACK:
        for branch_id in config.fallback_branch_ids:
            fallback = active.get(branch_id)
            if fallback and fallback != branch and selectors.branch_is_open(fallback, at):
                return BranchDecision(
                    fallback,
                    reason + "; " + _("out of hours → %(branch)s") % {"branch": fallback.name},
                    False,
                )
    return BranchDecision(branch, reason + "; " + _("out of hours"), out_of_hours=True)


def availability(*, geo: GeoLocation | None) -> dict[str, Any]:
    """What the widget shows: can someone take a chat now, and the text when not."""
    decision = branch_decide(geo=geo)
    config = RoutingSettings.current()
    online = decision.branch is not None and selectors.branch_has_online_operator(decision.branch)
    return {
        "online": online and not decision.out_of_hours,
        "out_of_hours": decision.out_of_hours,
        "out_of_hours_message": {
            "ru": config.out_of_hours_message_ru,
            "en": config.out_of_hours_message_en,
        },
    }


def out_of_hours_message_send(conversation: Conversation) -> None:
    """The inbox's out-of-hours text, as a system message in the chat (none when empty)."""
    config = RoutingSettings.current()
    text = (
        config.out_of_hours_message_ru
        if conversation.inbox.language == "ru"
        else config.out_of_hours_message_en
    )
    if text.strip():
        message_create(conversation=conversation, sender_type="system", body=text, client_id=None)
