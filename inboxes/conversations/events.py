"""Every real-time event name, in one place (dotted, as Chatwoot names them).

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

__all__ = [
    "CONVERSATION_CREATED",
    "CONVERSATION_UPDATED",
    "MESSAGE_CREATED",
    "MESSAGE_RECEIPTS",
    "PRESENCE_CHANGED",
    "SESSION_ENDED",
    "TYPING",
    "UNREAD_CHANGED",
]
