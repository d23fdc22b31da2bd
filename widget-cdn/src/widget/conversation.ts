/**
 * The conversation shown: changes from the server applied to it (status, rating, operator,
 * receipts that only go forward), the closed note with its rating card, and starting a new one
 * when the visitor writes with none open (one request however many ask at once).
 */
import { call } from "./api";
import { h } from "./dom";
import { t } from "./env";
import { renderHeader } from "./header";
import { resetLog, updateTicks } from "./messages";
import { ratingCard } from "./rating";
import { after, input, nearBottom, toBottom } from "./skeleton";
import { state } from "./state";
import type { Conversation } from "./types";
import { hideTyping } from "./typing";

let convStarting: Promise<Conversation> | null = null;

export function updateConversation(update: Partial<Conversation> & { id?: number }): void {
  if (!state.conv || (update.id !== undefined && update.id !== state.conv.id)) return;
  const wasClosed = state.conv.status === "closed";
  if (update.status !== undefined) state.conv.status = update.status;
  if (update.rating !== undefined) state.conv.rating = update.rating;
  // Receipts never go back on the server: a late snapshot must not undo a newer event.
  for (const field of ["visitor_delivered_seq", "visitor_read_seq", "operator_delivered_seq", "operator_read_seq"] as const) {
    if (update[field] !== undefined) state.conv[field] = Math.max(state.conv[field] || 0, update[field] || 0);
  }
  const operator = update.assignee_name !== undefined ? update.assignee_name : update.operator_name;
  if (operator !== undefined) state.conv.operator_name = operator;
  renderHeader();
  updateTicks();
  const closed = state.conv.status === "closed";
  if (closed && !wasClosed) showClosed();
  if (!closed && wasClosed) after.textContent = "";
  input.placeholder = closed ? t.placeholder_new : t.placeholder;
}

function showClosed(): void {
  if (!state.conv) return;
  const stick = nearBottom();
  after.textContent = "";
  after.appendChild(h("p", { class: "note", role: "status" }, t.closed));
  if (!state.conv.rating) after.appendChild(ratingCard(state.conv));
  hideTyping();
  if (stick) toBottom();
}

export async function ensureConversation(): Promise<Conversation> {
  if (state.conv && state.conv.status !== "closed") return state.conv;
  if (!convStarting) {
    convStarting = call<Conversation>("POST", "/conversations").then((started) => {
      if (state.conv && state.conv.id !== started.id) resetLog();
      state.conv = started;
      renderHeader();
      input.placeholder = t.placeholder;
      return started;
    }).finally(() => {
      convStarting = null;
    });
  }
  return convStarting;
}
