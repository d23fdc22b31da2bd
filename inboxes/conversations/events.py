"""Every real-time event name (the `type` of a socket frame), in one place (dotted, as
Chatwoot names them). Domain events, which services emit for listeners, are named in
messenger.kernel.events.

`session.ended` is the real-time kernel's: it also ends a whole company's sockets with it.
"""

from messenger.realtime import SESSION_ENDED

CONVERSATION_CREATED = "conversation.created"
CONVERSATION_UPDATED = "conversation.updated"
MESSAGE_CREATED = "message.created"
MESSAGE_RECEIPTS = "message.receipts"
TYPING = "typing"
UNREAD_CHANGED = "unread.changed"
PRESENCE_CHANGED = "presence.changed"
OPERATOR_STATUS = "operator.status"
ROUTING_ALERT = "routing.alert"

__all__ = [
    "CONVERSATION_CREATED",
    "CONVERSATION_UPDATED",
    "MESSAGE_CREATED",
    "MESSAGE_RECEIPTS",
    "OPERATOR_STATUS",
    "PRESENCE_CHANGED",
    "ROUTING_ALERT",
    "SESSION_ENDED",
    "TYPING",
    "UNREAD_CHANGED",
]
