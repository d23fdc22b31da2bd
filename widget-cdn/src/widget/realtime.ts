/**
 * What the live connection hears, applied to the chat: new messages and acks, pages of missed
 * ones, receipts, typing, conversation changes and errors for messages being sent; on every
 * (re)connect, a catch-up and another try for what was waiting. Sets connection.ts's
 * `handlers` as it loads.
 */
import { ApiError, detailText } from "./api";
import { handlers } from "./connection";
import { updateConversation } from "./conversation";
import { RESUME_PAGE } from "./env";
import { addMessages, resume } from "./log";
import { resetLog } from "./messages";
import { dispatch, hold, httpSend, pendingState } from "./pending";
import { pending, state } from "./state";
import type { Frame } from "@shared/protocol";
import type { Conversation, Message } from "./types";
import { showTyping } from "./typing";

handlers.open = () => {
  resume();
  for (const p of pending.values()) if (p.convId && !p.held && !p.el.classList.contains("failed")) dispatch(p);
};
handlers.frame = onFrame;

function onFrame(frame: Frame): void {
  const payload = frame.payload;
  switch (frame.type) {
    case "message.ack":
    case "messages":
      addMessages(frame.type === "messages" ? payload : [payload], frame.type === "messages");
      // A long absence: the next page, after this one's last message.
      if (frame.type === "messages" && payload.length >= RESUME_PAGE) resume(payload[RESUME_PAGE - 1].seq);
      // Receipts sent before this socket joined were never heard (a first message's tick).
      if (frame.type === "messages" && state.conv && frame.receipts?.conversation_id === state.conv.id) updateConversation({ ...frame.receipts, id: state.conv.id });
      break;
    case "resync": // the server lost events for us (Redis was away); spread: every visitor of
      // the server hears it at once
      setTimeout(() => resume(), Math.random() * 1000);
      break;
    case "message.created": {
      const m = payload as Message;
      if (state.conv && m.conversation_id !== state.conv.id && state.conv.status === "closed") {
        resetLog(); // the visitor started a new conversation in another tab
        state.conv = { ...(m.conversation as Conversation), id: m.conversation_id, rating: null };
      }
      addMessages([m], true);
      if (m.conversation) updateConversation({ ...m.conversation, id: m.conversation_id });
      break;
    }
    case "message.receipts":
      if (state.conv && payload.conversation_id === state.conv.id) updateConversation({ ...payload, id: state.conv.id });
      break;
    case "typing":
      if (state.conv && payload.conversation_id === state.conv.id && payload.side === "operator") showTyping(payload.is_typing, payload.name || "");
      break;
    case "conversation.updated":
      updateConversation(payload);
      break;
    case "error": {
      const p = frame.ref ? pending.get(String(frame.ref)) : undefined;
      if (p && frame.code === "rate_limited") hold(p, Number(frame.retry_after));
      else if (p && frame.code === "invalid") pendingState(p, "failed", typeof frame.detail === "string" ? frame.detail : detailText(new ApiError(422, frame.detail)));
      else if (p) httpSend(p);
      break;
    }
  }
}
