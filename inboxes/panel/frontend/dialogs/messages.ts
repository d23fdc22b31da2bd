/** The open conversation's messages: bubbles inserted by seq (history, live and resumed
 * messages arrive in any order, maybe twice), gaps fetched, older pages on scroll, ticks
 * (one: the visitor's device has it; two: read) and read receipts. */

import type { Message } from "../types";
import { PAGE, T, el, hub, state } from "./context";
import { settlePending } from "./composer";
import { resumeMessages } from "./events";
import { filesElement } from "./files";
import { fullFormat, node, shortTime } from "./format";
import { messageBody } from "./rich";

export function messageElement(message: Partial<Message>, { pending = false } = {}): HTMLElement {
  const li = node("li", `msg msg-${message.sender_type}`);
  if (pending) li.classList.add("pending");
  li.dataset.seq = message.seq ? String(message.seq) : "";
  if (message.client_id) li.dataset.clientId = message.client_id;
  if (message.sender_type === "system") {
    li.append(messageBody(message) || node("p", "msg-body", ""));
    return li;
  }
  const bubble = node("div", "msg-bubble");
  const meta = node("div", "msg-meta");
  // The visitor's name is in the header; operators are named, as several may answer.
  const author = message.sender_type === "operator" ? message.sender_name || T.you : "";
  meta.append(node("span", "msg-author", author));
  const time = node("time", "msg-time", shortTime(message.created_at));
  time.dateTime = message.created_at || "";
  time.title = message.created_at ? fullFormat.format(new Date(message.created_at)) : "";
  meta.append(time);
  if (message.sender_type === "operator") meta.append(node("span", "msg-ticks"));
  const files = filesElement(message.attachments);
  const body = messageBody(message);
  if (files) bubble.append(files);
  if (body) bubble.append(body);
  bubble.append(meta);
  li.append(bubble);
  return li;
}

/** Insert by seq; false when it is not the open dialog's or already shown. */
export function addMessage(message: Message): boolean {
  settlePending(message);
  const seq = message.seq;
  if (message.conversation_id !== state.currentId || !seq) return false;
  if (state.seqs.has(seq)) return false;
  el.list.querySelector(".msg-empty")?.remove();
  const li = messageElement(message);
  state.seqs.set(seq, li);
  const after = [...state.seqs.keys()].filter((s) => s > seq).sort((a, b) => a - b);
  const before = after.length ? state.seqs.get(after[0]) : el.list.querySelector(".pending");
  el.list.insertBefore(li, before || null);
  state.oldestSeq = state.oldestSeq === null ? seq : Math.min(state.oldestSeq, seq);
  // A jump in the sequence: signals were lost on the way (Redis was away, say).
  const gap = state.newestSeq && seq > state.newestSeq + 1;
  state.newestSeq = Math.max(state.newestSeq, seq);
  renderTicks(li);
  if (gap) resumeMessages(heldSeq()); // fetch what lies in between
  return true;
}

/** The last seq before the first hole in the open dialog: where a catch-up starts. */
export function heldSeq(): number {
  let seq = state.oldestSeq || 0;
  while (state.seqs.has(seq + 1)) seq += 1;
  return seq;
}

export function addMessages(messages: Message[]): boolean {
  let added = false;
  for (const message of messages) added = addMessage(message) || added;
  el.older.hidden = true;
  return added;
}

/** One tick: the visitor's device has it; two: the visitor has read it. */
export function renderTicks(only?: HTMLElement): void {
  const current = state.current;
  if (!current) return;
  const items = only ? [only] : Array.from(el.list.querySelectorAll<HTMLElement>(".msg-operator[data-seq]"));
  for (const li of items) {
    const ticks = li.querySelector<HTMLElement>(".msg-ticks");
    const seq = Number(li.dataset.seq);
    if (!ticks || !seq) continue;
    const read = seq <= (current.visitor_read_seq || 0);
    const delivered = read || seq <= (current.visitor_delivered_seq || 0);
    ticks.textContent = read ? "✓✓" : delivered ? "✓" : "";
    ticks.className = `msg-ticks${read ? " read" : ""}`;
    ticks.title = read ? T.read : delivered ? T.delivered : "";
    ticks.setAttribute("aria-label", ticks.title);
  }
}

export function nearBottom(): boolean {
  const box = el.scroller;
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

export function scrollToBottom(): void {
  el.scroller.scrollTop = el.scroller.scrollHeight;
}

export async function loadOlder(): Promise<void> {
  const id = state.currentId;
  if (state.loadingOlder || !id || !state.oldestSeq || state.oldestSeq <= 1) return;
  state.loadingOlder = true;
  el.older.hidden = false;
  const before = state.oldestSeq;
  const height = el.scroller.scrollHeight;
  try {
    const data = await hub.api<{ messages: Message[] }>("GET", `/conversations/${id}/messages?before=${before}&limit=${PAGE}`);
    if (state.currentId !== id) return;
    addMessages(data.messages);
    // Keep the message the operator was looking at in place.
    el.scroller.scrollTop += el.scroller.scrollHeight - height;
  } catch {
    // the next scroll tries again
  } finally {
    state.loadingOlder = false;
    el.older.hidden = true;
  }
}

/** Read receipts only while the operator can actually see the conversation. */
export function markRead(): void {
  const id = state.currentId;
  if (!id || document.hidden || !state.newestSeq || state.lostAccess) return;
  if (state.newestSeq <= state.readSent && !hub.unread.get(id)) return;
  state.readSent = state.newestSeq;
  hub.receipts(id, { read_seq: state.newestSeq });
  if (hub.unread.delete(id)) hub.renderBadge();
}
