/**
 * The log's messages: how one looks (bubble, attachments, time, ticks), operator names only on
 * the first of a run, the ticks brought up to date with the operator's receipts, and clearing
 * the log for a new conversation or session.
 */
import { h, icon } from "./dom";
import { lang, t } from "./env";
import { safeHtml } from "./html";
import { after, log } from "./skeleton";
import { bySeq, held, pending, state } from "./state";
import { hideTyping } from "./typing";
import type { Attachment, Message } from "./types";

function time(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  return isNaN(date.getTime()) ? "" : date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

function size(bytes: number): string {
  const units = lang === "ru" ? ["Б", "КБ", "МБ"] : ["B", "KB", "MB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < 2) {
    value /= 1024;
    unit++;
  }
  return `${unit ? value.toFixed(value < 10 ? 1 : 0) : value} ${units[unit]}`;
}

/** Our own links only: relative paths (signed /files/… links) and blob: previews. */
function safeUrl(url: string): string {
  if (/^\/(?!\/)/.test(url) || /^blob:/.test(url)) return url;
  try {
    const parsed = new URL(url);
    return parsed.origin === location.origin ? parsed.href : "";
  } catch (_) {
    return "";
  }
}

function renderAttachments(list: Attachment[]): HTMLElement {
  const box = h("div", { class: "atts" });
  for (const a of list) {
    const url = safeUrl(a.url);
    if (!url) continue;
    if (a.is_image) {
      box.appendChild(h("a", { class: "img", href: url, target: "_blank", rel: "noopener", title: a.name, "aria-label": `${t.open_image}: ${a.name}` },
        h("img", { src: url, alt: a.name, width: a.width || null, height: a.height || null, loading: "lazy" })));
    } else {
      box.appendChild(h("a", { class: "file", href: url, download: a.name, rel: "noopener", "aria-label": `${t.download}: ${a.name}` },
        icon("file"), h("span", { class: "fn" }, a.name), h("small", null, size(a.size))));
    }
  }
  return box;
}

export function renderMessage(m: Pick<Message, "sender_type" | "sender_name" | "body" | "body_html" | "attachments" | "created_at">): HTMLLIElement {
  const kind = m.sender_type === "visitor" ? "me" : m.sender_type === "system" ? "sys" : "op";
  const li = h("li", { class: `m ${kind}`, "data-sender": m.sender_name });
  if (kind === "op") li.appendChild(h("div", { class: "who" }, m.sender_name || t.operator));
  const bubble = h("div", { class: m.body ? "bub" : "bub bare" });
  if (m.body) {
    const body = h("div", { class: m.body_html ? "body" : "body plain" });
    body.appendChild(m.body_html ? safeHtml(m.body_html) : document.createTextNode(m.body));
    bubble.appendChild(body);
  }
  if (m.attachments.length) bubble.appendChild(renderAttachments(m.attachments));
  li.appendChild(bubble);
  const meta = h("div", { class: "meta" }, h("time", { datetime: m.created_at }, time(m.created_at)));
  if (kind === "me") meta.appendChild(h("span", { class: "ticks" }));
  li.appendChild(meta);
  return li;
}

/** Operator names only on the first of consecutive messages by the same person. */
export function regroup(): void {
  let previous = "";
  for (const li of Array.from(log.children) as HTMLElement[]) {
    const who = `${li.classList.contains("me") ? "me" : li.classList.contains("op") ? "op" : "sys"}:${li.getAttribute("data-sender") || ""}`;
    li.classList.toggle("first", who !== previous);
    previous = who;
  }
}

export function updateTicks(): void {
  if (!state.conv) return;
  for (const [seq, li] of bySeq) {
    const ticks = li.querySelector(".ticks");
    if (!ticks) continue;
    const tick = seq <= state.conv.operator_read_seq ? "read" : seq <= state.conv.operator_delivered_seq ? "delivered" : "sent";
    if (ticks.getAttribute("data-state") === tick) continue;
    ticks.setAttribute("data-state", tick);
    ticks.textContent = tick === "read" ? "✓✓" : tick === "delivered" ? "✓" : "";
    if (tick === "sent") ticks.removeAttribute("aria-label");
    else ticks.setAttribute("aria-label", tick === "read" ? t.read : t.delivered);
  }
}

/** A new conversation (or session): forget the shown messages; `all` also drops unsent ones. */
export function resetLog(all = false): void {
  bySeq.forEach((li) => li.remove());
  bySeq.clear();
  state.lastSeq = state.oldestSeq = state.theirSeq = state.sentRead = state.sentDelivered = 0;
  after.textContent = "";
  hideTyping();
  if (!all) return;
  for (const p of pending.values()) clearTimeout(p.timer);
  pending.clear();
  held.length = 0;
  log.textContent = "";
}
