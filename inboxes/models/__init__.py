"""Models of a company's conversations: inboxes, contacts, conversations, messages, read marks."""

from inboxes.models.attachment import Attachment
from inboxes.models.contact import Contact
from inboxes.models.conversation import Conversation, ConversationReadMark
from inboxes.models.inbox import Inbox
from inboxes.models.message import Message
from inboxes.models.routing import (
    BusinessHoursException,
    BusinessHoursInterval,
    ConversationAssignment,
    RoutingRule,
    RoutingSettings,
)

__all__ = [
    "Attachment",
    "BusinessHoursException",
    "BusinessHoursInterval",
    "Contact",
    "Conversation",
    "ConversationAssignment",
    "ConversationReadMark",
    "Inbox",
    "Message",
    "RoutingRule",
    "RoutingSettings",
]
