/** The visitor's pane: contact details, where routing sent the dialog and why, the rating,
 * and the assignment history (who had it, transfers and their notes). */

import type { RatingOut as Rating } from "@shared/protocol";
import type { Contact, Row } from "../types";
import { $, T, el, hub, state } from "./context";
import { branchName } from "./conversation";
import { fill, fullFormat, node, shortTime } from "./format";

interface Assignment {
  reason?: string;
  reason_label?: string;
  created_at?: string;
  assignee?: string;
  branch?: string;
  actor?: string;
  note?: string;
}

function notSet(dd: HTMLElement, value: string | null | undefined | false): void {
  dd.textContent = value || T.not_set;
  dd.classList.toggle("muted", !value);
}

export function renderRouting(current: Row): void {
  notSet($("contact-branch"), branchName(current.branch_id));
  const region = [current.region_name, current.country_code].filter(Boolean).join(", ");
  notSet($("contact-region"), region);
  notSet($("contact-reason"), current.routing_reason);
}

export function renderRating(rating: Rating | null | undefined): void {
  el.ratingBox.hidden = !rating;
  if (!rating) return;
  const score = Number(rating.score) || 0;
  if (rating.scale === "nps") {
    el.rating.textContent = fill(T.nps, { score });
    el.rating.className = "dlg-rating nps";
    el.rating.removeAttribute("aria-label");
  } else {
    const stars = Math.max(0, Math.min(5, score));
    el.rating.textContent = "★".repeat(stars) + "☆".repeat(5 - stars);
    el.rating.className = "dlg-rating stars";
    el.rating.setAttribute("aria-label", fill(T.stars, { score: stars }));
    el.rating.title = el.rating.getAttribute("aria-label") || "";
  }
  el.ratingComment.textContent = rating.comment || "";
  el.ratingComment.hidden = !rating.comment;
}

export function historyKeyOf(row: Row): string {
  return `${row.assignee_id ?? ""}:${row.branch_id ?? ""}:${row.status}`;
}

export async function loadHistory(): Promise<void> {
  const id = state.currentId;
  if (!id || !state.current || state.lostAccess) return;
  state.historyKey = historyKeyOf(state.current);
  const ticket = ++state.historyTicket;
  try {
    const items = await hub.api<Assignment[]>("GET", `/conversations/${id}/assignments`);
    if (ticket !== state.historyTicket || id !== state.currentId) return;
    renderHistory(Array.isArray(items) ? items : []);
  } catch {
    // the side panel keeps what it had; the next change loads it again
  }
}

function renderHistory(items: Assignment[]): void {
  const sorted = [...items].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  const lines = sorted.map((item) => {
    const li = node("li", "dlg-history-item");
    li.dataset.reason = item.reason || "";
    const head = node("div", "dlg-history-head");
    const reasons = T.reasons || {};
    head.append(node("span", "dlg-history-reason", reasons[item.reason || ""] || item.reason_label || item.reason));
    const time = node("time", "dlg-history-time", shortTime(item.created_at));
    time.dateTime = item.created_at || "";
    time.title = item.created_at ? fullFormat.format(new Date(item.created_at)) : "";
    head.append(time);
    const to = item.assignee ? fill(T.history_to, { name: item.assignee }) : T.history_queue;
    li.append(head, node("div", "dlg-history-to", [to, item.branch].filter(Boolean).join(" · ")));
    if (item.actor) li.append(node("div", "dlg-history-by", fill(T.history_by, { name: item.actor })));
    // Routing notes repeat "Why here" above; transfer notes are what a colleague wrote.
    const repeat = item.reason === "routing" && item.note === (state.current || ({} as Row)).routing_reason;
    if (item.note && !repeat) li.append(node("p", "dlg-history-note", item.note));
    return li;
  });
  if (!lines.length) lines.push(node("li", "dlg-history-empty muted", T.history_empty));
  el.history.replaceChildren(...lines);
}

export function renderContact(contact: Contact): void {
  const when = (iso: string | null | undefined) => (iso ? fullFormat.format(new Date(iso)) : "");
  notSet($("contact-name"), contact.name);
  notSet($("contact-email"), contact.email);
  notSet($("contact-phone"), contact.phone);
  notSet($("contact-created"), when(contact.created_at));
  notSet($("contact-seen"), when(contact.last_seen_at));
  const page = $("contact-page");
  page.replaceChildren();
  const url = contact.last_page_url || "";
  if (/^https?:\/\//i.test(url)) {
    // Only http(s) becomes a link: a "javascript:" URL from a visitor stays inert text.
    const link = node("a", "dlg-page-link", url);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer nofollow";
    page.append(link);
  } else {
    notSet(page, url);
  }
}
