/** Replies: the composer, the queue of replies on their way (over the socket, the ack
 * confirms; else over HTTP; the same client_id every try, so the server stores each once) and
 * the "typing…" signals to the visitor. */

import { BODY_MAX_LENGTH } from "@shared/protocol";
import type { Message } from "../types";
import { T, el, hub, me, state, type Pending } from "./context";
import { clearDrafts, draftsOf } from "./drafts";
import { errorText, uuid } from "./format";
import { addMessage, messageElement, scrollToBottom } from "./messages";

const TYPING_SEND_MS = 2000;
const ACK_WAIT_MS = 5000;

export function submit(): void {
  const body = el.input.value.trim();
  const id = state.currentId;
  if (!id || el.input.disabled) return;
  const files = draftsOf(id);
  if (files.some((draft) => draft.uploading)) {
    showSendError(T.upload_wait);
    return;
  }
  const ready = files.filter((draft) => draft.attachment);
  if (!body && !ready.length) return;
  if (body.length > BODY_MAX_LENGTH) {
    showSendError(T.too_long);
    return;
  }
  el.input.value = "";
  clearDrafts(id);
  stopTyping();
  showSendError("");
  const message = {
    client_id: uuid(),
    body,
    conversation_id: id,
    sender_type: "operator" as const,
    sender_name: me.name || T.you,
    created_at: new Date().toISOString(),
    attachments: ready.map((draft) => draft.attachment!),
    attachment_ids: ready.map((draft) => draft.attachment!.id),
  };
  const li = messageElement(message, { pending: true });
  li.querySelector(".msg-ticks")!.textContent = "…";
  li.title = T.sending;
  el.list.querySelector(".msg-empty")?.remove();
  el.list.append(li);
  scrollToBottom();
  const pending: Pending = { ...message, li, tries: 0, timer: 0, inFlight: false, failed: false };
  state.pending.set(message.client_id, pending);
  li.addEventListener("click", () => pending.failed && retryFailed(pending));
  pump();
}

/** The oldest reply that is neither sent nor given up on. */
export function head(): Pending | null {
  for (const pending of state.pending.values()) if (!pending.failed) return pending;
  return null;
}

export function pump(): void {
  const next = head();
  if (!next || next.inFlight) return;
  next.inFlight = true;
  deliver(next);
}

/** The server has our reply: its bubble gives way to the stored message; next in line goes. */
export function settlePending(message: Partial<Message>): void {
  const pending = message.client_id && state.pending.get(message.client_id);
  if (!pending) return;
  clearTimeout(pending.timer);
  pending.li.remove();
  state.pending.delete(pending.client_id);
  pump();
}

/** A click on a failed reply: back into the queue, at its end. */
function retryFailed(pending: Pending): void {
  state.pending.delete(pending.client_id);
  Object.assign(pending, { failed: false, inFlight: false, tries: 0 });
  pending.li.classList.remove("failed");
  pending.li.title = T.sending;
  pending.li.querySelector(".msg-ticks")!.textContent = "…";
  el.list.append(pending.li);
  state.pending.set(pending.client_id, pending);
  showSendError("");
  pump();
}

/** Over the socket when it is up (the ack confirms), else over HTTP. */
export function deliver(pending: Pending): void {
  clearTimeout(pending.timer);
  const frame = {
    type: "message.send",
    conversation_id: pending.conversation_id,
    body: pending.body,
    client_id: pending.client_id,
    attachment_ids: pending.attachment_ids,
  };
  if (hub.send(frame)) {
    pending.timer = window.setTimeout(() => viaHttp(pending), ACK_WAIT_MS);
  } else {
    viaHttp(pending);
  }
}

export async function viaHttp(pending: Pending): Promise<void> {
  if (!state.pending.has(pending.client_id)) return;
  try {
    const message = await hub.api<Message>("POST", `/conversations/${pending.conversation_id}/messages`, {
      body: pending.body,
      client_id: pending.client_id,
      attachment_ids: pending.attachment_ids,
    });
    addMessage(message);
  } catch (error) {
    if (!state.pending.has(pending.client_id)) return;
    const status = (error as { status?: number })?.status || 0;
    if (status >= 400 && status < 500) {
      failPending(pending, errorText(error)); // retrying would get the same answer
      return;
    }
    pending.tries += 1;
    pending.li.title = T.retrying;
    pending.timer = window.setTimeout(() => deliver(pending), Math.min(30000, 1000 * 2 ** pending.tries));
  }
}

export function failPending(pending: Pending, text: string): void {
  clearTimeout(pending.timer);
  Object.assign(pending, { failed: true, inFlight: false });
  pending.li.classList.add("failed");
  pending.li.title = T.failed;
  pending.li.querySelector(".msg-ticks")!.textContent = "!";
  pump(); // the next reply need not wait for this one
  if (pending.conversation_id === state.currentId) showSendError(text);
}

export function showSendError(text: string): void {
  el.sendError.textContent = text;
  el.sendError.hidden = !text;
}

// --- typing signals ------------------------------------------------------------------------

function sendTyping(isTyping: boolean): void {
  if (!state.currentId) return;
  hub.send({ type: "typing", conversation_id: state.currentId, is_typing: isTyping });
}

export function onInput(): void {
  if (!el.input.value.trim()) return;
  const now = Date.now();
  if (now - state.typingSentAt < TYPING_SEND_MS) return; // at most one signal per 2 s
  state.typingSentAt = now;
  sendTyping(true);
}

export function stopTyping(): void {
  if (!state.typingSentAt) return;
  state.typingSentAt = 0;
  sendTyping(false);
}
