/**
 * The log by seq: messages put in seq order (history pages and catch-ups arrive late, unsent
 * messages stay last), a sent message's placeholder replaced by the server's, the first page of
 * history, older pages on scrolling up, and catching up on what was missed after a gap in the
 * seqs or a reconnect (the socket's `resume`, or HTTP pages).
 */
import { call } from "./api";
import { live } from "./connection";
import { updateConversation } from "./conversation";
import { PAGE, RESUME_PAGE, toPage } from "./env";
import { regroup, renderMessage, updateTicks } from "./messages";
import { unhold } from "./pending";
import { receipts } from "./receipts";
import { log, nearBottom, older, scroller, toBottom } from "./skeleton";
import { bySeq, heldSeq, pending, state } from "./state";
import type { Conversation, Message } from "./types";
import { hideTyping } from "./typing";

let loadingOlder = false;

export function addMessages(list: Message[], live: boolean): void {
  if (!list.length) return;
  const stick = nearBottom();
  let mineAdded = false;
  let gap = false;
  for (const m of list) {
    if (!state.conv || m.conversation_id !== state.conv.id || bySeq.has(m.seq)) continue;
    const waiting = m.client_id ? pending.get(m.client_id) : undefined;
    if (waiting) {
      clearTimeout(waiting.timer);
      pending.delete(waiting.clientId);
      unhold(waiting);
      waiting.el.remove();
      waiting.previews.forEach((url) => URL.revokeObjectURL(url));
      mineAdded = true;
    }
    const li = renderMessage(m);
    li.setAttribute("data-seq", String(m.seq));
    bySeq.set(m.seq, li);
    // In seq order (history pages and catch-ups can arrive late), before messages being sent.
    let before: Element | null = null;
    if (m.seq < state.lastSeq) {
      let best = Infinity;
      for (const [seq, other] of bySeq) {
        if (seq > m.seq && seq < best) {
          best = seq;
          before = other;
        }
      }
    }
    if (!before) before = log.querySelector(".m:not([data-seq])");
    log.insertBefore(li, before);
    // A jump in the sequence: signals were lost on the way (Redis was away, say).
    if (state.lastSeq && m.seq > state.lastSeq + 1) gap = true;
    state.lastSeq = Math.max(state.lastSeq, m.seq);
    state.oldestSeq = state.oldestSeq ? Math.min(state.oldestSeq, m.seq) : m.seq;
    if (m.sender_type !== "visitor") state.theirSeq = Math.max(state.theirSeq, m.seq);
    if (m.sender_type === "operator") {
      hideTyping();
      if (live) toPage({ m: "message", d: { id: m.id, body: m.body, sender_type: m.sender_type, sender_name: m.sender_name, created_at: m.created_at } });
    }
    if (state.conv.last_seq < m.seq) state.conv.last_seq = m.seq;
  }
  regroup();
  updateTicks();
  if (stick || mineAdded) toBottom();
  receipts();
  if (gap) resume(); // fetch what lies in between
}

export async function loadHistory(): Promise<void> {
  if (!state.conv) return;
  const page = await call<{ messages: Message[]; conversation: Conversation }>("GET", `/conversations/${state.conv.id}/messages?limit=${PAGE}`);
  state.conv = page.conversation;
  addMessages(page.messages, false);
  toBottom();
}

export async function loadOlder(): Promise<void> {
  if (!state.conv || loadingOlder || state.oldestSeq <= 1) return;
  loadingOlder = true;
  older.hidden = false;
  try {
    const page = await call<{ messages: Message[] }>("GET", `/conversations/${state.conv.id}/messages?before=${state.oldestSeq}&limit=${PAGE}`);
    const height = scroller.scrollHeight;
    const top = scroller.scrollTop;
    addMessages(page.messages, false);
    scroller.scrollTop = top + scroller.scrollHeight - height; // keep what the visitor reads in place
    if (!page.messages.length) state.oldestSeq = 1;
  } catch (_) {
    /* scrolling up again retries */
  } finally {
    loadingOlder = false;
    older.hidden = true;
  }
}

async function catchUp(from = heldSeq()): Promise<void> {
  if (!state.conv) return;
  try {
    const page = await call<{ messages: Message[]; conversation: Conversation }>("GET", `/conversations/${state.conv.id}/messages?after=${from}&limit=${RESUME_PAGE}`);
    addMessages(page.messages, true);
    updateConversation(page.conversation);
    if (page.messages.length >= RESUME_PAGE) catchUp(page.messages[RESUME_PAGE - 1].seq);
  } catch (_) {
    /* the next reconnect or gap retries */
  }
}

/** What we missed after `from` (the socket's `messages` frame, or HTTP without a socket). */
export function resume(from = heldSeq()): void {
  if (state.conv && !live.send({ type: "resume", conversation_id: state.conv.id, after: from })) catchUp(from);
}
