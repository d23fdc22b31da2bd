"""A visitor's text message as one SQL statement: the hot path of the product.

What `messages._message_insert` does for a visitor's message without files (check that the
conversation is the visitor's, lock it, number the message, reopen a closed chat, store the
message) plus everything the announcement needs (the conversation, its contact, the assignee's
name), in one round trip, in autocommit: the statement is its own transaction. Through the ORM
the same took five statements and three times the CPU (bench/realtime.py).

The statement is built from the models' metadata, so a new column is carried along; the
tests compare its result with the ORM path's field by field.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection

from inboxes.models import Contact, Conversation, Message
from tenants.accounts.models import User


def _columns(model: type[Any]) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _attnames(model: type[Any]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cache
def statement() -> str:
    """The SQL, with named parameters: conversation_id, contact_id, inbox_id, now, preview,
    closed, open, sender_type, body, body_html, client_id."""
    q = connection.ops.quote_name
    conversations, messages = q(Conversation._meta.db_table), q(Message._meta.db_table)
    contacts, users = q(Contact._meta.db_table), q(User._meta.db_table)
    message_columns = ", ".join(f"m.{q(c)}" for c in _columns(Message))
    conversation_columns = ", ".join(f"c.{q(c)}" for c in _columns(Conversation))
    contact_columns = ", ".join(f"ct.{q(c)}" for c in _columns(Contact))
    return f"""
        WITH old AS (
            SELECT id, status FROM {conversations}
             WHERE id = %(conversation_id)s AND contact_id = %(contact_id)s
               AND inbox_id = %(inbox_id)s
               FOR UPDATE
        ), c AS (
            UPDATE {conversations} AS t
               SET last_seq = t.last_seq + 1,
                   last_message_at = %(now)s,
                   last_message_preview = %(preview)s,
                   status = CASE WHEN t.status = %(closed)s THEN %(open)s ELSE t.status END,
                   closed_at = CASE WHEN t.status = %(closed)s THEN NULL ELSE t.closed_at END
              FROM old
             WHERE t.id = old.id
         RETURNING t.*, old.status AS previous_status
        ), m AS (
            INSERT INTO {messages}
                   (conversation_id, seq, sender_type, sender_user_id, body, body_html,
                    client_id, created_at)
            SELECT c.id, c.last_seq, %(sender_type)s, NULL, %(body)s, %(body_html)s,
                   %(client_id)s, %(now)s
              FROM c
         RETURNING *
        )
        SELECT {message_columns}, {conversation_columns}, c.previous_status,
               {contact_columns}, u.full_name
          FROM m
          JOIN c ON c.id = m.conversation_id
          JOIN {contacts} AS ct ON ct.id = c.contact_id
          LEFT JOIN {users} AS u ON u.id = c.assignee_id
    """  # noqa: S608  (names from the models' metadata, values as parameters)


def instances(row: tuple[Any, ...]) -> tuple[Message, Conversation, str]:
    """The message, its conversation (contact and assignee attached) and the status before."""
    alias = connection.alias
    cut = len(_columns(Message))
    message = Message.from_db(alias, _attnames(Message), row[:cut])
    rest = row[cut:]
    cut = len(_columns(Conversation))
    conversation = Conversation.from_db(alias, _attnames(Conversation), rest[:cut])
    previous_status = rest[cut]
    rest = rest[cut + 1 :]
    cut = len(_columns(Contact))
    conversation.contact = Contact.from_db(alias, _attnames(Contact), rest[:cut])
    if conversation.assignee_id is not None:
        # Only the name is read (the payload); other fields load on access.
        conversation.assignee = User.from_db(
            alias, ["id", "full_name"], [conversation.assignee_id, rest[cut]]
        )
    message.conversation = conversation
    message.sender_user = None
    message._prefetched_objects_cache = {  # type: ignore[attr-defined]
        Message.attachments.field.remote_field.cache_name: []
    }
    return message, conversation, previous_status
