"""The operator's socket (`/ws/panel/`): presence, the groups an operator hears, opening a
conversation."""

from __future__ import annotations

import uuid
from typing import Any

from inboxes import presence
from inboxes.conversations import events, recipients, selectors, services
from inboxes.models import Conversation
from inboxes.realtime import frames
from inboxes.realtime.auth import panel_user_for_scope
from inboxes.realtime.consumers.base import (
    CLOSE_UNAUTHORISED,
    BaseConsumer,
)
from inboxes.routing.escalation import conversation_opened
from messenger.db_async import in_schema


class OperatorConsumer(BaseConsumer):
    """`/ws/panel/` on a company host, authenticated by the panel's session cookie."""

    async def connect(self) -> None:
        found = await in_schema("public", panel_user_for_scope, self.scope)
        if found is None:
            await self.close(CLOSE_UNAUTHORISED)
            return
        company, user = found
        self.schema_name, self.user = company.schema_name, user
        self.socket_id = uuid.uuid4().hex[:12]
        schema = self.schema_name
        audience = (
            recipients.staff_group(schema_name=schema)
            if user.is_supervisor_or_admin
            else recipients.pool_group(schema_name=schema)
        )
        await self.join([recipients.user_group(user.pk, schema_name=schema), audience])
        await self.accept()
        self._arm_idle_timer()
        await in_schema(
            schema, presence.operator_socket_opened, user=user, socket_id=self.socket_id
        )

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if getattr(self, "user", None) is None:
            return
        await in_schema(
            self.schema_name,
            presence.operator_socket_closed,
            user_id=self.user.pk,
            socket_id=self.socket_id,
        )

    async def on_ping(self) -> None:
        await in_schema(
            self.schema_name,
            presence.operator_socket_pinged,
            user_id=self.user.pk,
            socket_id=self.socket_id,
        )

    async def realtime_event(self, message: dict[str, Any]) -> None:
        if message["event"] == events.SESSION_ENDED:
            await self.end_session()
            return
        if self._seen(message["id"]):
            return
        await super().realtime_event(message)

    async def realtime_resync(self, message: dict[str, Any]) -> None:
        if self._seen(message.get("id")):
            return
        await self.on_ping()  # Redis may have come back empty: be present again at once
        await super().realtime_resync(message)

    def _seen(self, fingerprint: str | None) -> bool:
        """A supervisor who also holds the chat is in both `staff` and `user.<id>`: the same
        event arrives twice, back to back (with the same publish id). Forward it once."""
        return self.__dict__.setdefault("_recent", frames.RecentIds()).seen(fingerprint)

    side = "operator"

    def _conversation(self, conversation_id: int) -> Conversation:
        user = type(self.user).objects.get(pk=self.user.pk, is_active=True)
        return selectors.conversation_for_user(user=user, pk=conversation_id)

    def actions(self) -> dict[str, Any]:
        return {**super().actions(), "open": self.open}

    async def open(self, frame: dict[str, Any]) -> None:
        """The operator looks at the dialog: for its assignee, the escalation timer stops."""
        conversation_id = frames.int_field(frame, "conversation_id")
        await in_schema(
            self.schema_name,
            lambda: conversation_opened(
                conversation=self._conversation(conversation_id), user=self.user
            ),
        )

    def _mark_receipts(self, conversation: Conversation, frame: dict[str, Any]) -> None:
        services.operator_receipts_mark(
            conversation=conversation,
            user=self.user,
            delivered_seq=frame.get("delivered_seq"),
            read_seq=frame.get("read_seq"),
        )
