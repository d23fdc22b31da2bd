/** The conversation list: tabs (mine / unassigned / all), open or closed, rows kept in place
 * and re-sorted as rows come from the API, the events and the actions. */

import type { Row, UnreadSummary } from "../types";
import { T, el, hub, me, state } from "./context";
import { applyCurrent, openConversation } from "./conversation";
import { contactName, fill, fullFormat, node, shortTime } from "./format";

function inView(row: Row): boolean {
  const closed = row.status === "closed";
  if ((state.status === "closed") !== closed) return false;
  if (!hub.visibleToMe(row)) return false;
  if (state.tab === "mine") return row.assignee_id === me.id;
  if (state.tab === "unassigned") return row.assignee_id === null;
  return true;
}

function sortKey(row: Row): string {
  return row.last_message_at || row.created_at || "";
}

function rowElement(id: number): HTMLElement {
  let li = state.rowEls.get(id);
  if (!li) {
    li = node("li");
    const button = node("button", "dlg-row");
    button.type = "button";
    button.dataset.id = String(id);
    button.addEventListener("click", () => openConversation(id));
    li.append(button);
    state.rowEls.set(id, li);
  }
  return li;
}

export function renderRow(row: Row): void {
  const button = rowElement(row.id).firstChild as HTMLElement;
  const unread = hub.unread.get(row.id) || 0;
  const typing = state.typingTimers.has(row.id);
  button.classList.toggle("active", row.id === state.currentId);
  button.classList.toggle("has-unread", unread > 0);
  button.setAttribute("aria-current", row.id === state.currentId ? "true" : "false");
  button.replaceChildren(
    node("span", "dlg-avatar", contactName(row).slice(0, 1).toUpperCase()),
    rowBody(row, typing),
    rowSide(row, unread),
  );
}

export function waitingText(row: Partial<Row>): string {
  if (row.status !== "pending" || !row.queued_at) return "";
  return fill(T.waiting_since, { time: shortTime(row.queued_at) });
}

/** Assigned to me and not opened yet: the escalation clock is running. */
function isNewForMe(row: Row): boolean {
  return row.assignee_id === me.id && !row.opened_at && row.status !== "closed";
}

function rowBody(row: Row, typing: boolean): HTMLElement {
  const body = node("span", "dlg-row-body");
  const preview = typing ? T.typing : row.last_message_preview || "";
  const top = node("span", "dlg-row-top");
  top.append(node("span", "dlg-row-name", contactName(row)));
  if (isNewForMe(row) && row.id !== state.currentId) {
    const pill = node("span", "pill dlg-pill-new", T.new);
    pill.title = T.new_title;
    top.append(pill);
  }
  if (row.is_request) {
    const pill = node("span", "pill dlg-pill-request", T.request);
    pill.title = T.request_title;
    top.append(pill);
  }
  const waiting = waitingText(row);
  const assignee = node(
    "span",
    waiting ? "dlg-row-assignee dlg-row-waiting" : "dlg-row-assignee",
    waiting || row.assignee_name || T.unassigned,
  );
  if (waiting && row.queued_at) assignee.title = fullFormat.format(new Date(row.queued_at));
  body.append(top, node("span", typing ? "dlg-row-preview typing" : "dlg-row-preview", preview), assignee);
  return body;
}

function rowSide(row: Row, unread: number): HTMLElement {
  const side = node("span", "dlg-row-side");
  const time = node("time", "dlg-row-time", shortTime(row.last_message_at || row.created_at));
  time.dateTime = row.last_message_at || row.created_at || "";
  side.append(time);
  if (unread > 0) side.append(node("span", "badge dlg-row-unread", String(unread)));
  return side;
}

export function renderList(): void {
  const rows = [...state.rows.values()].sort((a, b) => sortKey(b).localeCompare(sortKey(a)) || b.id - a.id);
  // Re-append in order: existing <li> nodes move instead of being rebuilt.
  for (const row of rows) {
    renderRow(row);
    el.rows.append(state.rowEls.get(row.id)!);
  }
  for (const [id, li] of state.rowEls) {
    if (!state.rows.has(id)) {
      li.remove();
      state.rowEls.delete(id);
    }
  }
  el.listNote.hidden = rows.length > 0;
  el.listNote.textContent = state.status === "closed" ? T.no_closed : T.nothing_here;
  renderPlaceholder();
}

function renderPlaceholder(): void {
  const anything = state.everHadRows || state.rows.size > 0;
  el.empty.hidden = anything;
  el.choose.hidden = !anything;
}

/** A row from the server (list, event or action): keep, move or drop it in the list. */
export function applyRow(row: Row | null | undefined): void {
  if (!row || !row.id) return;
  if (inView(row)) {
    state.rows.set(row.id, { ...state.rows.get(row.id), ...row });
    state.everHadRows = true;
  } else {
    state.rows.delete(row.id);
  }
  if (row.id === state.currentId) applyCurrent(row);
  renderList();
}

let listTicket = 0;
export async function loadList(): Promise<void> {
  const query = new URLSearchParams({ tab: state.tab, status: state.status });
  const ticket = ++listTicket; // quick tab clicks: only the last answer counts
  try {
    const data = await hub.api<{ conversations: Row[]; unread: UnreadSummary }>("GET", `/conversations?${query}`);
    if (ticket !== listTicket) return;
    state.rows.clear();
    for (const row of data.conversations) {
      state.rows.set(row.id, row);
      hub.track(row);
    }
    if (data.conversations.length) state.everHadRows = true;
    hub.mergeUnread(data.unread, { replace: true });
    renderList();
  } catch {
    el.listNote.hidden = false;
    el.listNote.textContent = T.load_failed;
  }
}

export function selectTab(tab: string): void {
  state.tab = tab;
  sessionStorage.setItem("dialogs:tab", tab);
  for (const button of document.querySelectorAll<HTMLElement>("#dialogs [data-tab]")) {
    const active = button.dataset.tab === tab;
    button.classList.toggle("active", active);
    button.setAttribute("aria-selected", active ? "true" : "false");
  }
  loadList();
}

export function selectStatus(status: string): void {
  state.status = status;
  for (const button of document.querySelectorAll<HTMLElement>("#dialogs [data-status]")) {
    const active = button.dataset.status === status;
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", active ? "true" : "false");
  }
  loadList();
}
