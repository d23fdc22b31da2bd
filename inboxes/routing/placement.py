"""Placing a new conversation: record where the visitor is and the branch it lands in (and
why), then assign it or keep it waiting with the out-of-hours message."""

from __future__ import annotations

from django.utils import translation

from inboxes.models import Conversation
from inboxes.routing.assignment import Reason, _assign, assign_next
from inboxes.routing.business_hours import BranchDecision, branch_decide, out_of_hours_message_send
from messenger.geo import GeoLocation
from messenger.schema import current_schema


def _company_language() -> str:
    from tenants.companies.models import Company

    company = Company.objects.filter(schema_name=current_schema()).first()
    return company.language if company is not None else "en"


def conversation_place(conversation: Conversation, *, geo: GeoLocation | None) -> BranchDecision:
    """Record where the visitor is and which branch the conversation lands in, and why; no
    one is assigned (an offline request waits there for the branch to follow it up)."""
    # The reason is stored text: write it in the company's language, not the visitor's.
    with translation.override(_company_language()):
        decision = branch_decide(geo=geo)
    if geo is not None:
        conversation.country_code = geo.country_code
        conversation.region_code = geo.region_code
        conversation.region_name = geo.region_name
    conversation.branch = decision.branch
    conversation.routing_reason = decision.reason[:300]
    conversation.save(
        update_fields=["country_code", "region_code", "region_name", "branch", "routing_reason"]
    )
    return decision


def conversation_route(conversation: Conversation, *, geo: GeoLocation | None) -> None:
    """Route a new conversation: place it in its branch, then assign it, or keep it waiting
    with the out-of-hours message. The caller announces the new conversation to the audience
    this leaves it with."""
    decision = conversation_place(conversation, geo=geo)
    if decision.out_of_hours:
        _assign(conversation, None, reason=Reason.QUEUE, note=decision.reason, announce=False)
        out_of_hours_message_send(conversation)
        return
    assign_next(conversation, reason=Reason.ROUTING, note=decision.reason, announce=False)
