/** The open conversation: opening and closing the view, its header and actions following
 * the conversation's row, and "the operator looks at it" (which stops the escalation timer). */

import type { Message, Row } from "../types";
import { PAGE, T, el, hub, me, state } from "./context";
import { stopTyping } from "./composer";
import { historyKeyOf, loadHistory, renderContact, renderRating, renderRouting } from "./contact";
import { renderDrafts } from "./drafts";
import { contactName, fill, node } from "./format";
import { renderList, renderRow, waitingText } from "./list";
import { addMessages, markRead, renderTicks, scrollToBottom } from "./messages";

const OPEN_RESEND_MS = 3000;

function resetView(): void {
  // Unsent replies keep going in the background (state.pending); only the view is cleared.
  state.seqs.clear();
  state.oldestSeq = null;
  state.newestSeq = 0;
  state.readSent = 0;
  state.lostAccess = false;
  state.stickyNotice = "";
  state.historyKey = "";
  state.historyTicket += 1; // an answer still on its way belongs to the previous dialog
  el.list.replaceChildren();
  el.history.replaceChildren();
  el.typing.hidden = true;
  el.sendError.hidden = true;
  el.notice.hidden = true;
  el.view.classList.remove("dragging");
  if (el.modal.open) el.modal.close();
}

export async function openConversation(id: number): Promise<void> {
  if (state.currentId === id) return;
  stopTyping();
  resetView();
  state.currentId = id;
  state.current = state.rows.get(id) || null;
  if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
  el.placeholder.hidden = true;
  el.view.hidden = false;
  el.contact.hidden = false;
  if (state.current) applyCurrent(state.current);
  renderDrafts();
  renderList();
  try {
    const data = await hub.api<{ conversation: Row; messages: Message[] }>(
      "GET",
      `/conversations/${id}/messages?limit=${PAGE}`,
    );
    if (state.currentId !== id) return; // the operator clicked elsewhere meanwhile
    applyCurrent(data.conversation);
    if (!state.historyKey) loadHistory();
    addMessages(data.messages);
    for (const pending of state.pending.values()) {
      if (pending.conversation_id === id) el.list.append(pending.li);
    }
    if (!el.list.children.length) el.list.append(node("li", "msg-empty muted", T.no_messages));
    scrollToBottom();
    markRead();
    el.input.focus();
  } catch (error) {
    if (state.currentId !== id) return;
    showNotice((error as { status?: number })?.status === 404 ? T.taken_note : T.load_failed);
  }
}

export function closeView(): void {
  stopTyping();
  resetView();
  state.currentId = null;
  state.current = null;
  el.view.hidden = true;
  el.contact.hidden = true;
  el.placeholder.hidden = false;
  renderList();
}

export function showNotice(text: string): void {
  el.notice.textContent = text;
  el.notice.hidden = !text;
}

export function branchName(id: number | null | undefined): string {
  const branch = id ? state.branches.get(id) : null;
  return branch ? branch.name : "";
}

/** The header, actions, composer and visitor details follow the conversation's row. */
export function applyCurrent(row: Partial<Row>): void {
  state.current = { ...state.current, ...row } as Row;
  const current = state.current;
  el.title.textContent = contactName(current);
  el.avatar.textContent = contactName(current).slice(0, 1).toUpperCase();
  const status = waitingText(current) || T[current.status] || current.status;
  const who = current.assignee_name ? fill(T.assigned_to, { name: current.assignee_name }) : T.unassigned;
  el.subtitle.textContent = [status, who, branchName(current.branch_id)].filter(Boolean).join(" · ");
  el.subtitle.title = el.subtitle.textContent; // the line may be cut short in a narrow window
  const closed = current.status === "closed";
  const mine = current.assignee_id === me.id;
  state.lostAccess = !hub.visibleToMe(current);
  el.take.hidden = closed || mine || (current.assignee_id !== null && !me.staff);
  // The server lets the chat's operator pass it on, and supervisors any chat.
  el.transfer.hidden = closed || state.lostAccess || !(mine || me.staff);
  el.close.hidden = closed;
  el.reopen.hidden = !closed;
  const blocked = closed || state.lostAccess;
  el.input.disabled = blocked;
  el.send.disabled = blocked;
  el.attach.disabled = blocked;
  if (state.stickyNotice) showNotice(state.stickyNotice);
  else if (state.lostAccess) showNotice(T.taken_note);
  else showNotice(closed ? T.closed_note : "");
  if (state.lostAccess && el.modal.open) el.modal.close();
  renderContact(current.contact || {});
  renderRouting(current);
  renderRating(current.rating);
  renderTicks();
  markOpened();
  // Assigned elsewhere, moved to another branch, closed: the history has a new line.
  if (state.historyKey && historyKeyOf(current) !== state.historyKey) loadHistory();
}

/** Tell the server the operator looks at the dialog: for its assignee this stops the
 * escalation timer. Only while the page is visible, and once per assignment. */
export function markOpened(): void {
  const id = state.currentId;
  const current = state.current;
  if (!id || !current || document.hidden || state.lostAccess) return;
  if (current.assignee_id !== me.id || current.opened_at || current.status === "closed") return;
  if (Date.now() - (state.openSentAt.get(id) || 0) < OPEN_RESEND_MS) return;
  state.openSentAt.set(id, Date.now());
  if (!hub.send({ type: "open", conversation_id: id })) {
    hub.api("POST", `/conversations/${id}/open`).catch(() => {});
  }
  // The server sets the same; until its next row says so, the list drops the "new" mark.
  current.opened_at = new Date().toISOString();
  const listed = state.rows.get(id);
  if (listed) {
    listed.opened_at = current.opened_at;
    renderRow(listed);
  }
}
