"""WebSocket consumers. Small by design: authenticate, authorise, join the right groups,
forward events, and hand client actions (send, receipts, typing, resume) to services."""

from inboxes.realtime.consumers.base import (
    CLOSE_FORBIDDEN,
    CLOSE_IDLE,
    CLOSE_RATE_LIMITED,
    CLOSE_SESSION_ENDED,
    CLOSE_UNAUTHORISED,
    IDLE_TIMEOUT_SECONDS,
    BaseConsumer,
)
from inboxes.realtime.consumers.operator import OperatorConsumer
from inboxes.realtime.consumers.visitor import VisitorConsumer

__all__ = [
    "CLOSE_FORBIDDEN",
    "CLOSE_IDLE",
    "CLOSE_RATE_LIMITED",
    "CLOSE_SESSION_ENDED",
    "CLOSE_UNAUTHORISED",
    "IDLE_TIMEOUT_SECONDS",
    "BaseConsumer",
    "OperatorConsumer",
    "VisitorConsumer",
]
