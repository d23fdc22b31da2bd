/** The "Dialogs" unread badge and the tab title's count: how many visible open dialogs have
 * unread messages, kept from the API's summary and the live events; and dialogs handed to me
 * (routed, transferred, escalated) that I have not opened yet. */

import type { Row, UnreadSummary } from "../types";
import { api } from "./api";
import { me, visibleToMe } from "./context";
import { notify } from "./notify";
import { emit, on, receipts } from "./socket";

export const unread = new Map<number, number>(); // conversation id -> unread count
const badge = document.getElementById("dialogs-badge");
const baseTitle = document.title;

// The Dialogs page sets this: true while the operator is looking at that conversation, so
// an arriving message does not bump the counter only to be read a moment later.
let isReading: (id: number) => boolean = () => false;
export function setReadingCheck(check: (id: number) => boolean): void {
  isReading = check;
}

function dialogsWithUnread(): number {
  let count = 0;
  for (const n of unread.values()) if (n > 0) count += 1;
  return count;
}

export function renderBadge(): void {
  const count = dialogsWithUnread();
  if (badge) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
  // The count in the tab's title is what an operator sees from another tab.
  document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
  emit("unread", unread);
}

export function mergeUnread(summary: UnreadSummary | null | undefined, { replace = false } = {}): void {
  if (!summary || typeof summary.conversations !== "object") return;
  if (replace) unread.clear();
  for (const [id, n] of Object.entries(summary.conversations)) {
    if (n > 0) unread.set(Number(id), n);
    else unread.delete(Number(id));
  }
  renderBadge();
}

let refreshTimer = 0;
/** The full unread map from the API (debounced: bursts of events cost one request). */
export function refreshUnread(): void {
  clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => {
    api<UnreadSummary>("GET", "/conversations/unread")
      .then((summary) => mergeUnread(summary, { replace: true }))
      .catch(() => {});
  }, 150);
}

// conversation id -> the assignee this tab last saw, to tell "newly assigned to me" apart.
const assignees = new Map<number, number | null>();

/** Remember rows the page has seen (the Dialogs page passes the loaded list). */
export function track(row: Row): void {
  if (row && row.id) assignees.set(row.id, row.assignee_id ?? null);
}

/** A dialog routed, transferred or escalated to me that I have not opened yet: it counts as
 * new, like a new dialog (sound, notification; the badge comes with its unread messages). */
function checkAssigned(row: Row): void {
  const before = assignees.get(row.id);
  track(row);
  if (row.assignee_id !== me.id || before === me.id) return;
  if (row.status === "closed" || row.opened_at || isReading(row.id)) return;
  emit("assigned", row);
  notify("assigned", row);
}

export function listen(): void {
  on("socket.open", refreshUnread); // events may have been missed while we were away
  on("unread.changed", (summary) => mergeUnread(summary));
  on("resync", refreshUnread); // events were lost while Redis was away
  on("message.created", (message) => {
    if (message.conversation) track(message.conversation);
    if (message.sender_type !== "visitor") return;
    const id = message.conversation_id;
    // Delivered means "reached an operator's screen": say so at once, from any panel page.
    receipts(id, { delivered_seq: message.seq });
    if (!isReading(id)) {
      unread.set(id, (unread.get(id) || 0) + 1);
      renderBadge();
    }
    notify("message", message);
  });
  on("conversation.created", (row) => {
    track(row);
    notify("conversation", row);
  });
  on("conversation.updated", (row: Row) => {
    checkAssigned(row);
    if (row.status === "closed" || !visibleToMe(row)) {
      // Closed dialogs and dialogs taken by someone else no longer count.
      if (unread.delete(row.id)) renderBadge();
    } else if (!unread.has(row.id)) {
      refreshUnread(); // a dialog handed to me may come with unread messages
    }
  });
}
