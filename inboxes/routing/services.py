"""The routing services, by capability: one import path for views, consumers and tests.

- business_hours: region → branch, opening hours, fallback, what the widget shows;
- placement: a new conversation's branch, then its assignment (placement.py);
- assignment: the next operator with room, or the queue (assignment.py);
- queue: draining a branch's waiting chats (queue.py);
- escalation: unopened chats passed on (escalation.py);
- transfer: to another branch or operator (transfer.py);
- operators: operator status (operators.py); presence lives in inboxes.presence.

Routing hears conversation and operator changes as domain events (listeners.py).
"""

from __future__ import annotations

from inboxes.routing.assignment import ESCALATION, assign_next
from inboxes.routing.business_hours import BranchDecision, availability, branch_decide
from inboxes.routing.escalation import conversation_opened, escalation_fire
from inboxes.routing.operators import operator_status_set
from inboxes.routing.placement import conversation_place, conversation_route
from inboxes.routing.queue import queue_drain, queues_drain_for
from inboxes.routing.transfer import conversation_transfer, transfer_targets

__all__ = [
    "ESCALATION",
    "BranchDecision",
    "assign_next",
    "availability",
    "branch_decide",
    "conversation_opened",
    "conversation_place",
    "conversation_route",
    "conversation_transfer",
    "escalation_fire",
    "operator_status_set",
    "queue_drain",
    "queues_drain_for",
    "transfer_targets",
]
