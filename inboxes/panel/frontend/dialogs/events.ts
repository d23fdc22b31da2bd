/** Live events for the Dialogs page: rows and messages as they happen, receipts, "typing…",
 * acks and errors of our replies, and catching up (by seq) after a reconnect or a resync. */

import type { Frame } from "@shared/protocol";
import type { Message, Row } from "../types";
import { RESUME_PAGE, el, hub, state } from "./context";
import { deliver, failPending, head, pump, settlePending, viaHttp } from "./composer";
import { errorText } from "./format";
import { applyRow, loadList, renderRow } from "./list";
import { addMessage, addMessages, heldSeq, markRead, nearBottom, renderTicks, scrollToBottom } from "./messages";
import { onOperatorStatus } from "./transfer";

const TYPING_SHOW_MS = 5000;

function showTyping(payload: { side: string; conversation_id: number; is_typing: boolean }): void {
  if (payload.side !== "visitor") return;
  const id = payload.conversation_id;
  clearTimeout(state.typingTimers.get(id));
  if (payload.is_typing) {
    // No news for 5 s means the visitor stopped (their "stopped" signal may never come).
    state.typingTimers.set(id, window.setTimeout(() => hideTyping(id), TYPING_SHOW_MS));
  } else {
    state.typingTimers.delete(id);
  }
  if (id === state.currentId) el.typing.hidden = !payload.is_typing;
  if (state.rows.has(id)) renderRow(state.rows.get(id)!);
}

function hideTyping(id: number): void {
  clearTimeout(state.typingTimers.get(id));
  state.typingTimers.delete(id);
  if (id === state.currentId) el.typing.hidden = true;
  if (state.rows.has(id)) renderRow(state.rows.get(id)!);
}

function onMessageCreated(message: Message): void {
  if (message.sender_type === "visitor") hideTyping(message.conversation_id);
  if (message.conversation) applyRow(message.conversation);
  const stick = nearBottom() || state.pending.has(message.client_id || "");
  settlePending(message);
  if (message.conversation_id !== state.currentId) return;
  if (addMessage(message) && stick) scrollToBottom();
  markRead();
}

function onReceipts(payload: Partial<Row> & { conversation_id: number }): void {
  const row = state.rows.get(payload.conversation_id);
  if (row) Object.assign(row, payload);
  if (payload.conversation_id === state.currentId) {
    Object.assign(state.current!, payload);
    renderTicks();
  }
}

function onAck(_payload: unknown, frame: Frame): void {
  const message = frame.payload;
  if (message) addMessage(message);
}

function onError(_payload: unknown, frame: Frame): void {
  const pending = frame.ref && state.pending.get(frame.ref);
  if (!pending) return;
  if (frame.code === "invalid" || frame.code === "not_found") {
    failPending(pending, typeof frame.detail === "string" ? frame.detail : errorText({ body: frame }));
  } else {
    viaHttp(pending);
  }
}

/** After a reconnect: the list again, and the open conversation from the last seq we hold. */
let socketOpenedBefore = false;
function onSocketOpen(): void {
  if (!socketOpenedBefore) {
    socketOpenedBefore = true;
    return;
  }
  loadList();
  resume();
  // The reply on its way may have been lost with the old socket: send it again (same id).
  const next = head();
  if (next && next.inFlight) deliver(next);
  else pump();
}

function resume(): void {
  if (!state.currentId) return;
  resumeMessages(heldSeq());
  hub
    .api<Row>("GET", `/conversations/${state.currentId}`)
    .then(applyRow)
    .catch(() => {});
}

/** The open dialog's messages after `after`: a `resume` frame, or HTTP without a socket. */
export function resumeMessages(after: number): void {
  const id = state.currentId;
  if (!id || hub.send({ type: "resume", conversation_id: id, after })) return;
  hub
    .api<{ messages: Message[] }>("GET", `/conversations/${id}/messages?after=${after}&limit=${RESUME_PAGE}`)
    .then((data) => onResumed(null, { type: "messages", conversation_id: id, payload: data.messages }))
    .catch(() => {}); // the next gap, resync or reconnect asks again
}

function onResumed(_payload: unknown, frame: Frame): void {
  if (frame.conversation_id !== state.currentId) return;
  const page: Message[] = frame.payload || [];
  const stick = nearBottom();
  addMessages(page);
  if (stick) scrollToBottom();
  if (frame.receipts) onReceipts(frame.receipts); // receipts missed while away
  markRead();
  // A long absence: keep asking, after this page's last message, until a short page.
  if (page.length >= RESUME_PAGE) resumeMessages(page[RESUME_PAGE - 1].seq!);
}

/** The server lost events for this socket (Redis was away): as after a reconnect. */
function onResync(): void {
  loadList();
  resume();
}

export function listen(): void {
  hub.on("conversation.created", applyRow);
  hub.on("conversation.updated", applyRow);
  hub.on("message.created", onMessageCreated);
  hub.on("message.ack", onAck);
  hub.on("message.receipts", onReceipts);
  hub.on("messages", onResumed);
  hub.on("typing", showTyping);
  hub.on("error", onError);
  hub.on("socket.open", onSocketOpen);
  hub.on("resync", onResync);
  hub.on("operator.status", onOperatorStatus);
  hub.on("unread", () => {
    for (const row of state.rows.values()) renderRow(row);
  });
  hub.setReadingCheck((id) => id === state.currentId && !document.hidden);
}
