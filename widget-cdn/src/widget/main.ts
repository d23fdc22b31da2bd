/**
 * The chat inside the frame (`/widget/frame/<key>/`, on the Messenger host).
 *
 * It talks to the widget API (same origin) with the visitor token and the embedding site's
 * origin, and to the site's page (the loader) with postMessage, checking origin and window.
 * Everything from the network is put in as text, except a message's server-sanitised
 * `body_html`, which is rebuilt through an allowlist first (html.ts).
 */
import type { Identity, ToFrame, ToPage } from "../shared/protocol";
import { ApiError, auth, call, detailText, fieldErrors, uuid } from "./api";
import { append, h, icon } from "./dom";
import { safeHtml } from "./html";
import { TEXTS, type Lang } from "./i18n";
import { Live } from "../shared/live";
import { BODY_MAX_LENGTH as BODY_MAX, type Frame } from "../shared/protocol";
import type { Attachment, Availability, Config, Conversation, Message, Session } from "./types";

const SCRIPT_DIR = ((document.currentScript as HTMLScriptElement | null)?.src || "/cdn/").replace(/[^/]*$/, "");
const PAGE = 30;
const RESUME_PAGE = 100; // the server's page size for `resume`
const ACK_WAIT_MS = 6000;

interface Chip {
  file: File;
  el: HTMLElement;
  preview: string;
  attachment: Attachment | null;
  done: Promise<void>;
}

interface Pending {
  clientId: string;
  body: string;
  ids: number[];
  convId: number;
  el: HTMLLIElement;
  tries: number;
  timer: number;
  previews: string[];
  /** Waiting out a rate limit: reconnects leave it to its timer. */
  held: boolean;
}

const root = document.getElementById("chat") as HTMLElement;
const KEY = root.getAttribute("data-key") || "";
const lang: Lang = root.getAttribute("data-lang") === "en" ? "en" : "ru";
const t = TEXTS[lang];
const TOKEN_KEY = `messenger:${KEY}:token`;

/** The embedding page's origin: where we post to and what X-Widget-Site declares. */
const site = (() => {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : "";
  } catch (_) {
    return "";
  }
})();
const embedded = window.parent !== window;
const pageUrl = (() => {
  try {
    return decodeURIComponent(location.hash.slice(1)).slice(0, 2000);
  } catch (_) {
    return "";
  }
})();
auth.site = site;
auth.lang = lang;

let cfg: Config;
let contactId = 0;
let availability: Availability;
let conv: Conversation | null = null;
let isOpen = !embedded;
let sessionReady = false;
let lastSeq = 0;
let theirSeq = 0; // the last operator (or system) message
let oldestSeq = 0;
let loadingOlder = false;
let sentRead = 0;
let sentDelivered = 0;
let typingSentAt = 0;
let typingStop = 0;
let typingHide = 0;
let convStarting: Promise<Conversation> | null = null;
const held: Pending[] = []; // refused by a rate limit, in the order typed
let heldGap = 1000;
const bySeq = new Map<number, HTMLLIElement>();
const pending = new Map<string, Pending>();
const chips: Chip[] = [];
const parentQueue: ToFrame[] = [];

/** The visitor's token. Its home is the site's page: the loader keeps it in the site's own
 * (first-party) storage and hands it over on `hello`, because browsers that block or partition
 * third-party storage (Safari, Firefox strict, incognito) would lose this frame's on every page.
 * This frame's storage is a fallback; memory, the last resort within a page view. */
let pageToken = "";
const store = {
  get(): string {
    if (pageToken) return pageToken;
    try {
      return localStorage.getItem(TOKEN_KEY) || "";
    } catch (_) {
      return "";
    }
  },
  set(token: string): void {
    pageToken = token;
    toPage({ m: "token", d: token });
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      /* blocked: the page keeps it */
    }
  },
};
let booted = false;

/** Start once the page has answered with the visitor's token (an older loader never does:
 * then after a moment, with what this frame has). */
function boot(): void {
  if (booted) return;
  booted = true;
  start();
}

function toPage(message: ToPage): void {
  if (embedded && site) window.parent.postMessage(message, site);
}

// --- Skeleton ----------------------------------------------------------------------------------

const style = document.createElement("style");
style.textContent = __WIDGET_CSS__;
document.head.appendChild(style);

const avatar = h("div", { class: "av", "aria-hidden": "true" });
const title = h("h1", { class: "ti", id: "title" }, t.chat);
const statusText = h("span", null, "");
const status = h("p", { class: "st" }, h("span", { class: "dot", "aria-hidden": "true" }), statusText);
const closeButton = h("button", { type: "button", class: "ib hb", "aria-label": t.close, onclick: () => toPage({ m: "close" }) }, icon("close"));
closeButton.hidden = !embedded;
const header = h("header", { class: "hd" }, avatar, h("div", { class: "who-box" }, title, status), closeButton);

const older = h("p", { class: "older", role: "status" }, t.older);
older.hidden = true;
const greeting = h("div", { class: "greet" });
const log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.messages });
const typing = h("div", { class: "typing", "aria-live": "polite" });
typing.hidden = true;
const after = h("div", { class: "after" });
const scroller = h("div", { class: "scroll" }, older, greeting, log, typing, after);

/** The server's limit for a message, in characters (code points, as the server counts); from
 * COUNT_FROM on the composer shows a counter. No `maxlength`: a browser would cut a long paste
 * silently; the text is kept and refused with a message instead. */
const COUNT_FROM = 9000;
const chars = (text: string): number => Array.from(text).length;
const number = (n: number): string => n.toLocaleString(lang);

const input = h("textarea", {
  class: "input", rows: 1, placeholder: t.placeholder, "aria-label": t.message,
  "aria-describedby": "hint", disabled: true,
});
const fileInput = h("input", { type: "file", multiple: true, hidden: true, tabindex: -1 });
const emojiButton = h("button", { type: "button", class: "ib", "aria-label": t.emoji, "aria-expanded": "false", "aria-haspopup": "dialog", disabled: true }, icon("smile"));
const attachButton = h("button", { type: "button", class: "ib", "aria-label": t.attach, disabled: true }, icon("clip"));
const sendButton = h("button", { type: "submit", class: "send", "aria-label": t.send, disabled: true }, icon("send"));
const files = h("div", { class: "files" });
const composerError = h("p", { class: "cerr", role: "alert" });
composerError.hidden = true;
const counter = h("p", { class: "count", id: "count", "aria-live": "polite" });
counter.hidden = true;
const hint = h("p", { class: "hint", id: "hint" },
  h("b", null, `**${t.md[0]}**`), " ", h("i", null, `*${t.md[1]}*`), " ", h("code", null, `\`${t.md[2]}\``), " · ", t.hint);
const composer = h("form", { class: "composer", novalidate: true },
  files, composerError,
  h("div", { class: "row" }, input, emojiButton, attachButton, sendButton), counter, hint, fileInput);
const picker = h("div", { class: "picker", role: "dialog", "aria-label": t.emoji });
picker.hidden = true;
const drop = h("div", { class: "drop", "aria-hidden": "true" }, h("div", null, icon("clip"), t.drop));
drop.hidden = true;
const main = h("main", { class: "main" }, scroller, picker);
const app = h("div", { class: "app", "data-state": "loading" }, header, main, composer, drop);
root.appendChild(app);
const loading = h("div", { class: "center" }, h("span", { class: "spin", "aria-hidden": "true" }), h("p", { class: "muted" }, t.loading));
after.appendChild(loading);

function setState(state: string): void {
  app.setAttribute("data-state", state);
}

function setComposerEnabled(on: boolean): void {
  for (const el of [input, emojiButton, attachButton, sendButton]) el.disabled = !on;
  composer.hidden = !on && app.getAttribute("data-state") !== "loading";
}

function showComposerError(text: string): void {
  composerError.textContent = text;
  composerError.hidden = !text;
}

/** Near the limit "9,120 / 10,000" replaces the hint; over it, it turns red. Once the text is
 * short enough again, the refusal's message goes. */
function countChars(): void {
  const n = chars(input.value.trim());
  counter.hidden = n < COUNT_FROM;
  hint.hidden = !counter.hidden;
  counter.textContent = counter.hidden ? "" : `${number(n)} / ${number(BODY_MAX)}`;
  counter.classList.toggle("over", n > BODY_MAX);
  if (n <= BODY_MAX && composerError.textContent === t.too_long(number(BODY_MAX))) showComposerError("");
}

function nearBottom(): boolean {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

function toBottom(): void {
  scroller.scrollTop = scroller.scrollHeight;
}

// --- Theme and header --------------------------------------------------------------------------

function applyTheme(): void {
  const color = /^#[0-9a-f]{6}$/i.test(cfg.color) ? cfg.color : "#3b5bfd";
  const rgb = parseInt(color.slice(1), 16);
  const light = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255) > 170;
  app.style.setProperty("--c", color);
  app.style.setProperty("--ct", light ? "#111" : "#fff");
  document.title = cfg.name || t.chat;
}

function renderHeader(): void {
  const operator = conv && (conv.operator_name || "");
  title.textContent = cfg.name || t.chat;
  avatar.textContent = "";
  if (cfg.logo_url && !operator) avatar.appendChild(h("img", { src: cfg.logo_url, alt: "" }));
  else avatar.textContent = ((operator || cfg.name || "?").trim()[0] || "?").toUpperCase();
  statusText.textContent = operator ? `${operator} · ${availability.online ? t.online.split(" · ")[0] : t.offline}`
    : availability.online ? t.online : t.offline;
  status.classList.toggle("on", availability.online);
}

function renderGreeting(): void {
  greeting.textContent = "";
  if (!cfg.greeting) return;
  append(greeting, h("div", { class: "m op first" },
    h("div", { class: "who" }, cfg.name),
    h("div", { class: "bub" }, h("div", { class: "body plain" }, cfg.greeting))));
}

// --- Messages ----------------------------------------------------------------------------------

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

function renderMessage(m: Pick<Message, "sender_type" | "sender_name" | "body" | "body_html" | "attachments" | "created_at">): HTMLLIElement {
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
function regroup(): void {
  let previous = "";
  for (const li of Array.from(log.children) as HTMLElement[]) {
    const who = `${li.classList.contains("me") ? "me" : li.classList.contains("op") ? "op" : "sys"}:${li.getAttribute("data-sender") || ""}`;
    li.classList.toggle("first", who !== previous);
    previous = who;
  }
}

function updateTicks(): void {
  if (!conv) return;
  for (const [seq, li] of bySeq) {
    const ticks = li.querySelector(".ticks");
    if (!ticks) continue;
    const state = seq <= conv.operator_read_seq ? "read" : seq <= conv.operator_delivered_seq ? "delivered" : "sent";
    if (ticks.getAttribute("data-state") === state) continue;
    ticks.setAttribute("data-state", state);
    ticks.textContent = state === "read" ? "✓✓" : state === "delivered" ? "✓" : "";
    if (state === "sent") ticks.removeAttribute("aria-label");
    else ticks.setAttribute("aria-label", state === "read" ? t.read : t.delivered);
  }
}

function addMessages(list: Message[], live: boolean): void {
  if (!list.length) return;
  const stick = nearBottom();
  let mineAdded = false;
  let gap = false;
  for (const m of list) {
    if (!conv || m.conversation_id !== conv.id || bySeq.has(m.seq)) continue;
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
    if (m.seq < lastSeq) {
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
    if (lastSeq && m.seq > lastSeq + 1) gap = true;
    lastSeq = Math.max(lastSeq, m.seq);
    oldestSeq = oldestSeq ? Math.min(oldestSeq, m.seq) : m.seq;
    if (m.sender_type !== "visitor") theirSeq = Math.max(theirSeq, m.seq);
    if (m.sender_type === "operator") {
      hideTyping();
      if (live) toPage({ m: "message", d: { id: m.id, body: m.body, sender_type: m.sender_type, sender_name: m.sender_name, created_at: m.created_at } });
    }
    if (conv.last_seq < m.seq) conv.last_seq = m.seq;
  }
  regroup();
  updateTicks();
  if (stick || mineAdded) toBottom();
  receipts();
  if (gap) resume(); // fetch what lies in between
}

/** A new conversation (or session): forget the shown messages; `all` also drops unsent ones. */
function resetLog(all = false): void {
  bySeq.forEach((li) => li.remove());
  bySeq.clear();
  lastSeq = oldestSeq = theirSeq = sentRead = sentDelivered = 0;
  after.textContent = "";
  hideTyping();
  if (!all) return;
  for (const p of pending.values()) clearTimeout(p.timer);
  pending.clear();
  held.length = 0;
  log.textContent = "";
}

async function loadHistory(): Promise<void> {
  if (!conv) return;
  const page = await call<{ messages: Message[]; conversation: Conversation }>("GET", `/conversations/${conv.id}/messages?limit=${PAGE}`);
  conv = page.conversation;
  addMessages(page.messages, false);
  toBottom();
}

async function loadOlder(): Promise<void> {
  if (!conv || loadingOlder || oldestSeq <= 1) return;
  loadingOlder = true;
  older.hidden = false;
  try {
    const page = await call<{ messages: Message[] }>("GET", `/conversations/${conv.id}/messages?before=${oldestSeq}&limit=${PAGE}`);
    const height = scroller.scrollHeight;
    const top = scroller.scrollTop;
    addMessages(page.messages, false);
    scroller.scrollTop = top + scroller.scrollHeight - height; // keep what the visitor reads in place
    if (!page.messages.length) oldestSeq = 1;
  } catch (_) {
    /* scrolling up again retries */
  } finally {
    loadingOlder = false;
    older.hidden = true;
  }
}

async function catchUp(from = heldSeq()): Promise<void> {
  if (!conv) return;
  try {
    const page = await call<{ messages: Message[]; conversation: Conversation }>("GET", `/conversations/${conv.id}/messages?after=${from}&limit=${RESUME_PAGE}`);
    addMessages(page.messages, true);
    updateConversation(page.conversation);
    if (page.messages.length >= RESUME_PAGE) catchUp(page.messages[RESUME_PAGE - 1].seq);
  } catch (_) {
    /* the next reconnect or gap retries */
  }
}

/** The last seq before the first hole in what is shown: where a catch-up starts. */
function heldSeq(): number {
  let seq = oldestSeq;
  while (bySeq.has(seq + 1)) seq++;
  return seq;
}

/** What we missed after `from` (the socket's `messages` frame, or HTTP without a socket). */
function resume(from = heldSeq()): void {
  if (conv && !live.send({ type: "resume", conversation_id: conv.id, after: from })) catchUp(from);
}

// --- Receipts and typing -----------------------------------------------------------------------

/** Delivered (and, with the chat open and visible, read) up to the last operator message. */
function receipts(): void {
  const seq = theirSeq;
  if (!conv || !seq) return;
  const read = isOpen && document.visibilityState === "visible" && seq > Math.max(sentRead, conv.visitor_read_seq) ? seq : 0;
  const delivered = seq > Math.max(sentDelivered, conv.visitor_delivered_seq) ? seq : 0;
  if (!read && !delivered) return;
  sentDelivered = Math.max(sentDelivered, seq);
  if (read) sentRead = read;
  const body: Record<string, number> = { delivered_seq: seq };
  if (read) body.read_seq = read;
  if (!live.send({ type: "receipts", conversation_id: conv.id, ...body })) {
    call("POST", `/conversations/${conv.id}/receipts`, body).catch(() => undefined);
  }
}

function sendTyping(on: boolean): void {
  if (!conv || conv.status === "closed") return;
  if (!live.send({ type: "typing", conversation_id: conv.id, is_typing: on })) {
    call("POST", `/conversations/${conv.id}/typing`, { is_typing: on }).catch(() => undefined);
  }
}

function onInputTyping(): void {
  if (!conv || !input.value.trim()) return;
  const now = Date.now();
  if (now - typingSentAt > 2500) {
    typingSentAt = now;
    sendTyping(true);
  }
  clearTimeout(typingStop);
  typingStop = window.setTimeout(stopTyping, 3000);
}

function stopTyping(): void {
  clearTimeout(typingStop);
  if (typingSentAt) sendTyping(false);
  typingSentAt = 0;
}

function showTyping(on: boolean, name: string): void {
  clearTimeout(typingHide);
  if (!on) return hideTyping();
  const stick = nearBottom();
  typing.textContent = "";
  append(typing, h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), name ? `${name} ${t.typing}` : t.operator_typing);
  typing.hidden = false;
  if (stick) toBottom();
  typingHide = window.setTimeout(hideTyping, 6000);
}

function hideTyping(): void {
  typing.hidden = true;
}

// --- Conversation state, closing and rating ----------------------------------------------------

function updateConversation(update: Partial<Conversation> & { id?: number }): void {
  if (!conv || (update.id !== undefined && update.id !== conv.id)) return;
  const wasClosed = conv.status === "closed";
  if (update.status !== undefined) conv.status = update.status;
  if (update.rating !== undefined) conv.rating = update.rating;
  // Receipts never go back on the server: a late snapshot must not undo a newer event.
  for (const field of ["visitor_delivered_seq", "visitor_read_seq", "operator_delivered_seq", "operator_read_seq"] as const) {
    if (update[field] !== undefined) conv[field] = Math.max(conv[field] || 0, update[field] || 0);
  }
  const operator = update.assignee_name !== undefined ? update.assignee_name : update.operator_name;
  if (operator !== undefined) conv.operator_name = operator;
  renderHeader();
  updateTicks();
  const closed = conv.status === "closed";
  if (closed && !wasClosed) showClosed();
  if (!closed && wasClosed) after.textContent = "";
  input.placeholder = closed ? t.placeholder_new : t.placeholder;
}

function showClosed(): void {
  if (!conv) return;
  const stick = nearBottom();
  after.textContent = "";
  after.appendChild(h("p", { class: "note", role: "status" }, t.closed));
  if (!conv.rating) after.appendChild(ratingCard(conv));
  hideTyping();
  if (stick) toBottom();
}

function ratingCard(conversation: Conversation): HTMLElement {
  const nps = cfg.rating_scale === "nps";
  const question = h("p", { class: "q", id: "rate-q" }, nps ? t.rate_nps : t.rate_stars);
  const scores = nps ? Array.from({ length: 11 }, (_, i) => i) : [1, 2, 3, 4, 5];
  let score: number | null = null;
  const submit = h("button", { type: "submit", class: "btn", disabled: true }, t.rate_send);
  const error = h("p", { class: "cerr", role: "alert" });
  error.hidden = true;
  const buttons = scores.map((n) => h("button", {
    type: "button", role: "radio", "aria-checked": "false", class: nps ? "nps" : "star",
    "aria-label": nps ? String(n) : t.star(n), "data-score": n, tabindex: n === scores[0] ? 0 : -1,
    onclick: () => pick(n),
  }, nps ? String(n) : icon("star")));
  const group = h("div", { class: nps ? "scale nps-row" : "scale stars", role: "radiogroup", "aria-labelledby": "rate-q" }, ...buttons);
  group.addEventListener("keydown", (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const index = Math.max(0, Math.min(scores.length - 1, scores.indexOf(score === null ? scores[0] - step : score) + step));
    pick(scores[index]);
    buttons[index].focus();
  });
  const comment = h("textarea", { class: "field", rows: 2, maxlength: 1000, placeholder: t.comment, "aria-label": t.comment });
  const card = h("form", { class: "card rate", "aria-labelledby": "rate-q", novalidate: true }, question, group);
  if (nps) card.appendChild(h("div", { class: "ends", "aria-hidden": "true" }, h("span", null, t.nps_low), h("span", null, t.nps_high)));
  append(card, comment, error, submit);

  function pick(n: number): void {
    score = n;
    buttons.forEach((b, i) => {
      const on = scores[i] === n;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle("lit", nps ? on : scores[i] <= n);
    });
    submit.disabled = false;
  }

  card.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (score === null) return;
    submit.disabled = true;
    error.hidden = true;
    try {
      const rated = await call<Conversation>("POST", `/conversations/${conversation.id}/rating`, { score, comment: comment.value.trim() });
      if (conv && conv.id === rated.id) conv.rating = rated.rating;
      card.replaceWith(ratingThanks(score, nps));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && /already/i.test(detailText(e))) {
        card.replaceWith(ratingThanks(score, nps));
        return;
      }
      error.textContent = detailText(e) || t.error;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return card;
}

function ratingThanks(score: number, nps: boolean): HTMLElement {
  const shown = nps ? `${score}/10` : "★".repeat(score) + "☆".repeat(5 - score);
  return h("div", { class: "card thanks", role: "status" },
    h("div", { class: "ok", "aria-hidden": "true" }, icon("check")),
    h("p", { class: "q" }, t.rate_thanks),
    h("p", { class: "muted" }, `${t.your_rating}: `, h("span", { class: "score" }, shown)));
}

// --- Sending -----------------------------------------------------------------------------------

async function ensureConversation(): Promise<Conversation> {
  if (conv && conv.status !== "closed") return conv;
  if (!convStarting) {
    convStarting = call<Conversation>("POST", "/conversations").then((started) => {
      if (conv && conv.id !== started.id) resetLog();
      conv = started;
      renderHeader();
      input.placeholder = t.placeholder;
      return started;
    }).finally(() => {
      convStarting = null;
    });
  }
  return convStarting;
}

/** An error's text for the visitor; rate limits in the widget's own language. */
function errorText(error: unknown): string {
  return error instanceof ApiError && error.status === 429 ? t.limited : detailText(error);
}

function pendingState(p: Pending, state: "sending" | "retrying" | "held" | "failed", reason = ""): void {
  if (state === "failed") unhold(p);
  const meta = p.el.querySelector(".meta") as HTMLElement;
  meta.textContent = "";
  p.el.classList.toggle("failed", state === "failed");
  if (state === "failed") {
    append(meta, h("span", { class: "fail" }, reason ? `${t.not_sent}: ${reason}` : t.not_sent), " ",
      h("button", { type: "button", class: "link", onclick: () => deliver(p) }, t.retry));
  } else {
    append(meta, icon("clock", "pend"), h("span", { class: state === "sending" ? "sr" : "fail" }, state === "held" ? t.held : state === "retrying" ? t.retrying : t.sending));
  }
}

/** Over a rate limit: keep the message and send it again when the server says it may. Held
 * messages go one at a time, in the order typed: the next after the one before is sent. */
function hold(p: Pending, seconds: number): void {
  clearTimeout(p.timer);
  p.held = true;
  pendingState(p, "held");
  if (held.indexOf(p) < 0) held.push(p);
  if (held[0] === p) {
    heldGap = Math.max(1, seconds || 0) * 1000;
    release(p);
  }
}

function release(p: Pending): void {
  p.timer = window.setTimeout(() => {
    p.held = false;
    deliver(p, true);
  }, heldGap);
}

/** `p` was sent or has failed: the next held message gets its turn. */
function unhold(p: Pending): void {
  const index = held.indexOf(p);
  if (index < 0) return;
  held.splice(index, 1);
  if (!index && held.length) release(held[0]);
}

/** Into its conversation (started first when there is none); `inTurn`: its held turn came. */
async function deliver(p: Pending, inTurn = false): Promise<void> {
  try {
    if (!p.convId) p.convId = (await ensureConversation()).id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 429) return hold(p, e.retryAfter);
    return pendingState(p, "failed", detailText(e));
  }
  if (!inTurn && held.length && held[0] !== p) return hold(p, 0); // behind the held ones
  dispatch(p);
}

function dispatch(p: Pending): void {
  clearTimeout(p.timer);
  if (!pending.has(p.clientId)) return;
  pendingState(p, p.tries >= 2 ? "retrying" : "sending");
  const frame = { type: "message.send", conversation_id: p.convId, body: p.body, client_id: p.clientId, attachment_ids: p.ids };
  if (live.send(frame)) p.timer = window.setTimeout(() => httpSend(p), ACK_WAIT_MS);
  else httpSend(p);
}

async function httpSend(p: Pending): Promise<void> {
  clearTimeout(p.timer);
  try {
    // The same client id as any earlier try: the server stores the message once.
    const message = await call<Message>("POST", `/conversations/${p.convId}/messages`, { body: p.body, client_id: p.clientId, attachment_ids: p.ids });
    addMessages([message], false);
  } catch (e) {
    if (!pending.has(p.clientId)) return; // it arrived over the socket meanwhile
    const status = e instanceof ApiError ? e.status : 0;
    if (status === 429) return hold(p, (e as ApiError).retryAfter);
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      pendingState(p, "failed", detailText(e));
      return;
    }
    p.tries++;
    pendingState(p, p.tries >= 2 ? "retrying" : "sending");
    p.timer = window.setTimeout(() => dispatch(p), Math.min(30000, 1000 * 2 ** p.tries));
  }
}

async function send(): Promise<void> {
  const body = input.value.trim();
  const uploads = chips.slice();
  if (!body && !uploads.length) return;
  if (chars(body) > BODY_MAX) {
    showComposerError(t.too_long(number(BODY_MAX))); // the text stays for the visitor to shorten
    input.focus();
    return;
  }
  input.value = "";
  autosize();
  countChars();
  chips.length = 0;
  files.textContent = "";
  showComposerError("");
  stopTyping();
  closePicker(false);
  const local = uploads.map((c) => ({ id: 0, name: c.file.name, size: c.file.size, content_type: c.file.type, is_image: !!c.preview, width: null, height: null, url: c.preview || "" }));
  const li = renderMessage({ sender_type: "visitor", sender_name: "", body, body_html: "", attachments: local.filter((a) => a.url), created_at: null });
  li.classList.add("pending");
  log.appendChild(li);
  regroup();
  toBottom();
  const p: Pending = { clientId: uuid(), body, ids: [], convId: 0, el: li, tries: 0, timer: 0, previews: uploads.map((c) => c.preview).filter(Boolean), held: false };
  pending.set(p.clientId, p);
  pendingState(p, "sending");
  try {
    await Promise.all(uploads.map((c) => c.done));
    p.ids = uploads.filter((c) => c.attachment).map((c) => c.attachment!.id);
    if (!body && !p.ids.length) {
      pending.delete(p.clientId);
      li.remove();
      return;
    }
  } catch (e) {
    pendingState(p, "failed", detailText(e));
    return;
  }
  deliver(p);
}

// --- Attachments -------------------------------------------------------------------------------

const ACCEPT: Record<string, string> = {
  image: "image/png,image/jpeg,image/gif,image/webp",
  pdf: ".pdf,application/pdf",
  office: ".doc,.docx,.xls,.xlsx,.pptx,.odt",
  text: ".txt,.csv,text/plain,text/csv",
  archive: ".zip,.7z,.gz",
};

function addFiles(list: File[]): void {
  showComposerError("");
  const limit = cfg.attachments.max_mb * 1024 * 1024;
  for (const file of list) {
    if (file.size > limit) {
      showComposerError(t.too_big(file.name || "file", cfg.attachments.max_mb));
      continue;
    }
    const image = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
    const preview = image ? URL.createObjectURL(file) : "";
    const remove = h("button", { type: "button", class: "x", "aria-label": `${t.remove}: ${file.name}` }, icon("close"));
    const el = h("div", { class: "chip up", title: file.name },
      image ? h("img", { src: preview, alt: "" }) : icon("file"),
      h("span", { class: "fn" }, file.name), h("span", { class: "spin", "aria-label": t.uploading }), remove);
    const chip: Chip = { file, el, preview, attachment: null, done: Promise.resolve() };
    remove.addEventListener("click", () => {
      const index = chips.indexOf(chip);
      if (index >= 0) chips.splice(index, 1);
      el.remove();
      if (preview) URL.revokeObjectURL(preview);
      input.focus();
    });
    chip.done = upload(chip);
    chips.push(chip);
    files.appendChild(el);
  }
}

async function upload(chip: Chip): Promise<void> {
  try {
    const conversation = await ensureConversation();
    const form = new FormData();
    form.append("file", chip.file, chip.file.name || "image.png");
    chip.attachment = await call<Attachment>("POST", `/conversations/${conversation.id}/attachments`, form);
    chip.el.classList.remove("up");
  } catch (e) {
    const index = chips.indexOf(chip);
    if (index >= 0) chips.splice(index, 1);
    chip.el.remove();
    showComposerError(errorText(e) || t.upload_failed);
  }
}

function onPaste(event: ClipboardEvent): void {
  const items = Array.from(event.clipboardData ? event.clipboardData.items : []);
  const images = items.filter((item) => item.kind === "file" && /^image\//.test(item.type))
    .map((item) => item.getAsFile()).filter((file): file is File => !!file);
  if (!images.length) return; // text (or anything but an image) pastes as usual
  event.preventDefault();
  addFiles(images);
}

let dragDepth = 0;
function dragHasFiles(event: DragEvent): boolean {
  return !!event.dataTransfer && Array.from(event.dataTransfer.types).indexOf("Files") >= 0;
}
app.addEventListener("dragenter", (event) => {
  if (!dragHasFiles(event) || input.disabled) return;
  event.preventDefault();
  dragDepth++;
  drop.hidden = false;
});
app.addEventListener("dragover", (event) => {
  if (dragHasFiles(event) && !input.disabled) event.preventDefault();
});
app.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    drop.hidden = true;
  }
});
app.addEventListener("drop", (event) => {
  dragDepth = 0;
  drop.hidden = true;
  if (!dragHasFiles(event) || input.disabled) return;
  event.preventDefault();
  addFiles(Array.from(event.dataTransfer!.files));
});

// --- Emoji picker (its list is a separate chunk, loaded when first opened) ----------------------

let emojiLoad: Promise<string[][]> | null = null;

function emojiList(): Promise<string[][]> {
  if (!emojiLoad) {
    emojiLoad = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = SCRIPT_DIR + __EMOJI_FILE__;
      script.onload = () => (window.__messengerEmoji ? resolve(window.__messengerEmoji) : reject(new Error("emoji")));
      script.onerror = () => {
        emojiLoad = null;
        reject(new Error("emoji"));
      };
      document.head.appendChild(script);
    });
  }
  return emojiLoad;
}

async function openPicker(): Promise<void> {
  let groups: string[][];
  try {
    groups = await emojiList();
  } catch (_) {
    return;
  }
  if (!picker.firstChild) {
    groups.forEach((group, index) => {
      const label = t.emoji_groups[index] || "";
      picker.appendChild(h("p", { class: "pg", id: `eg${index}` }, label));
      picker.appendChild(h("div", { class: "grid", role: "group", "aria-labelledby": `eg${index}` },
        ...group.map((emoji) => h("button", { type: "button", class: "em", "aria-label": emoji, onclick: () => insertEmoji(emoji) }, emoji))));
    });
  }
  picker.hidden = false;
  emojiButton.setAttribute("aria-expanded", "true");
  (picker.querySelector(".em") as HTMLElement | null)?.focus();
}

function closePicker(focus: boolean): void {
  if (picker.hidden) return;
  picker.hidden = true;
  emojiButton.setAttribute("aria-expanded", "false");
  if (focus) emojiButton.focus();
}

function insertEmoji(emoji: string): void {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.value = input.value.slice(0, start) + emoji + input.value.slice(end);
  closePicker(false);
  input.focus();
  input.selectionStart = input.selectionEnd = start + emoji.length;
  autosize();
  countChars();
}

picker.addEventListener("keydown", (event: KeyboardEvent) => {
  const all = Array.from(picker.querySelectorAll<HTMLButtonElement>(".em"));
  const index = all.indexOf(document.activeElement as HTMLButtonElement);
  const step = ({ ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 } as Record<string, number>)[event.key];
  if (index < 0 || !step) return;
  event.preventDefault();
  all[Math.max(0, Math.min(all.length - 1, index + step))].focus();
});

// --- Offline request form ----------------------------------------------------------------------

function showOffline(): void {
  setState("offline");
  setComposerEnabled(false);
  greeting.textContent = "";
  const message = (availability.out_of_hours && availability.out_of_hours_message[lang]) || cfg.offline_message[lang];
  const field = (name: string, label: string, control: HTMLInputElement | HTMLTextAreaElement): HTMLElement => {
    control.id = `f-${name}`;
    control.name = name;
    control.className = "field";
    const error = h("span", { class: "ferr", id: `e-${name}` });
    control.setAttribute("aria-describedby", error.id);
    return h("div", { class: "fld" }, h("label", { for: control.id }, label), control, error);
  };
  const nameInput = h("input", { type: "text", autocomplete: "name", maxlength: 120 });
  const contactInput = h("input", { type: "text", autocomplete: "email", maxlength: 120, required: true, inputmode: "email" });
  const bodyInput = h("textarea", { rows: 4, required: true });
  const formError = h("p", { class: "cerr", role: "alert" });
  formError.hidden = true;
  const submit = h("button", { type: "submit", class: "btn" }, t.request_send);
  const form = h("form", { class: "card form", novalidate: true },
    field("name", t.name, nameInput), field("contact", t.contact, contactInput), field("body", t.message, bodyInput), formError, submit);
  const clientId = uuid(); // a resubmitted form is the same request
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".ferr").forEach((el) => (el.textContent = ""));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    formError.hidden = true;
    const wrong = new Map<HTMLInputElement | HTMLTextAreaElement, string>();
    for (const el of [contactInput, bodyInput]) if (!el.value.trim()) wrong.set(el, t.required);
    if (chars(bodyInput.value.trim()) > BODY_MAX) wrong.set(bodyInput, t.too_long(number(BODY_MAX)));
    if (wrong.size) {
      wrong.forEach((text, el) => {
        el.setAttribute("aria-invalid", "true");
        (form.querySelector(`#e-${el.name}`) as HTMLElement).textContent = text;
      });
      Array.from(wrong.keys())[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      await call("POST", "/requests", { name: nameInput.value.trim(), contact: contactInput.value.trim(), body: bodyInput.value.trim(), client_id: clientId });
      after.textContent = "";
      setState("thanks");
      after.appendChild(h("div", { class: "card thanks", role: "status", tabindex: -1 },
        h("div", { class: "ok", "aria-hidden": "true" }, icon("check")), h("p", { class: "q" }, t.thanks), h("p", { class: "muted" }, t.thanks_text)));
      (after.firstChild as HTMLElement).focus();
    } catch (e) {
      const errors = fieldErrors(e);
      let shown = false;
      for (const [name, text] of Object.entries(errors)) {
        const target = form.querySelector(`#e-${name}`);
        if (!target) continue;
        target.textContent = text;
        form.querySelector(`#f-${name}`)?.setAttribute("aria-invalid", "true");
        shown = true;
      }
      if (!shown) {
        formError.textContent = errorText(e) || t.error;
        formError.hidden = false;
      }
      submit.disabled = false;
    }
  });
  after.textContent = "";
  after.appendChild(h("div", { class: "offline" },
    h("h2", null, cfg.offline_title[lang] || t.offline), message ? h("p", { class: "muted" }, message) : null, form));
}

// --- Session, real time, the page's commands ---------------------------------------------------

/** A one-time ticket for the next socket or stream: the token never goes into a URL. */
async function ticket(): Promise<string> {
  return encodeURIComponent((await call<{ ticket: string }>("POST", "/tickets")).ticket);
}

const live = new Live({
  socketUrl: async () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/widget/?ticket=${await ticket()}&site=${encodeURIComponent(site)}&lang=${lang}`,
  sseUrl: async () => `/widget/v1/events?ticket=${await ticket()}&site=${encodeURIComponent(site)}${conv ? `&conversation_id=${conv.id}&after=${heldSeq()}` : ""}`,
  onOpen: () => {
    resume();
    for (const p of pending.values()) if (p.convId && !p.held && !p.el.classList.contains("failed")) dispatch(p);
  },
  onFrame,
  onDenied: () => auth.onExpired(),
});

function onFrame(frame: Frame): void {
  const payload = frame.payload;
  switch (frame.type) {
    case "message.ack":
    case "messages":
      addMessages(frame.type === "messages" ? payload : [payload], frame.type === "messages");
      // A long absence: the next page, after this one's last message.
      if (frame.type === "messages" && payload.length >= RESUME_PAGE) resume(payload[RESUME_PAGE - 1].seq);
      // Receipts sent before this socket joined were never heard (a first message's tick).
      if (frame.type === "messages" && conv && frame.receipts?.conversation_id === conv.id) updateConversation({ ...frame.receipts, id: conv.id });
      break;
    case "resync": // the server lost events for us (Redis was away); spread: every visitor of
      // the server hears it at once
      setTimeout(() => resume(), Math.random() * 1000);
      break;
    case "message.created": {
      const m = payload as Message;
      if (conv && m.conversation_id !== conv.id && conv.status === "closed") {
        resetLog(); // the visitor started a new conversation in another tab
        conv = { ...(m.conversation as Conversation), id: m.conversation_id, rating: null };
      }
      addMessages([m], true);
      if (m.conversation) updateConversation({ ...m.conversation, id: m.conversation_id });
      break;
    }
    case "message.receipts":
      if (conv && payload.conversation_id === conv.id) updateConversation({ ...payload, id: conv.id });
      break;
    case "typing":
      if (conv && payload.conversation_id === conv.id && payload.side === "operator") showTyping(payload.is_typing, payload.name || "");
      break;
    case "conversation.updated":
      updateConversation(payload);
      break;
    case "error": {
      const p = frame.ref ? pending.get(String(frame.ref)) : undefined;
      if (p && frame.code === "rate_limited") hold(p, Number(frame.retry_after));
      else if (p && frame.code === "invalid") pendingState(p, "failed", typeof frame.detail === "string" ? frame.detail : detailText(new ApiError(422, frame.detail)));
      else if (p) httpSend(p);
      break;
    }
  }
}

function showError(text: string): void {
  setState("error");
  setComposerEnabled(false);
  after.textContent = "";
  after.appendChild(h("div", { class: "center" }, h("p", null, text || t.unavailable),
    h("button", { type: "button", class: "btn", onclick: () => start() }, t.try_again)));
  if (!sessionReady) toPage({ m: "ready" }); // let the site show the message
}

async function start(): Promise<void> {
  live.stop();
  setState("loading");
  let session: Session;
  try {
    session = await call<Session>("POST", `/inboxes/${encodeURIComponent(KEY)}/sessions`, { token: store.get() || undefined, page_url: pageUrl });
  } catch (e) {
    return showError(errorText(e));
  }
  auth.token = session.token;
  store.set(session.token);
  contactId = session.contact.id;
  cfg = session.inbox;
  availability = session.availability;
  resetLog(true);
  conv = session.conversation;
  applyTheme();
  renderHeader();
  try {
    if (conv) await loadHistory();
  } catch (e) {
    return showError(detailText(e));
  }
  if (!conv && !availability.online) {
    showOffline();
  } else {
    setState("chat");
    renderGreeting();
    setComposerEnabled(true);
    const kinds = cfg.attachments.kinds.map((kind) => ACCEPT[kind]).filter(Boolean);
    if (kinds.length) fileInput.accept = kinds.join(",");
    attachButton.hidden = !kinds.length;
  }
  live.start();
  const first = !sessionReady;
  sessionReady = true;
  if (first) toPage({ m: "ready" });
  parentQueue.splice(0).forEach(onParent);
  if (isOpen) focusFirst();
  toBottom();
}

auth.onExpired = () => {
  store.set("");
  auth.token = "";
  start();
};

function focusFirst(): void {
  const target = app.getAttribute("data-state") === "offline" ? (after.querySelector("input") as HTMLElement | null) : input.disabled ? null : input;
  if (target) target.focus({ preventScroll: true });
}

async function identify(data: Identity): Promise<void> {
  try {
    const result = await call<{ token: string; contact: { id: number } }>("POST", "/identify", {
      name: data.name, email: data.email, user_id: data.userId, user_hash: data.userHash,
    });
    auth.token = result.token;
    store.set(result.token);
    if (result.contact.id !== contactId) await start(); // a verified user: their own history
  } catch (e) {
    console.warn("Messenger.identify:", detailText(e) || e);
  }
}

function onParent(message: ToFrame): void {
  if (message.m === "open") {
    isOpen = true;
    focusFirst();
    receipts();
  } else if (message.m === "close") {
    isOpen = false;
    closePicker(false);
  } else if (message.m === "identify") {
    if (!sessionReady) parentQueue.push(message);
    else identify(message.d || {});
  } else if (message.m === "token") {
    if (typeof message.d === "string") pageToken = message.d;
    boot();
  }
}

addEventListener("message", (event: MessageEvent) => {
  if (!embedded || event.source !== window.parent || !site || event.origin !== site) return;
  const message = event.data as ToFrame;
  if (message && typeof message === "object" && typeof message.m === "string") onParent(message);
});

// --- Composer events ---------------------------------------------------------------------------

function autosize(): void {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
input.addEventListener("input", () => {
  autosize();
  countChars();
  onInputTyping();
});
input.addEventListener("paste", onPaste);
attachButton.addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  addFiles(Array.from(fileInput.files || []));
  fileInput.value = "";
  input.focus();
});
emojiButton.addEventListener("click", () => (picker.hidden ? openPicker() : closePicker(true)));
scroller.addEventListener("scroll", () => {
  if (scroller.scrollTop < 60) loadOlder();
}, { passive: true });
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!picker.hidden) return closePicker(true);
  if (embedded) toPage({ m: "close" });
});
document.addEventListener("click", (event) => {
  const target = event.target as Node;
  if (!picker.hidden && !picker.contains(target) && !emojiButton.contains(target)) closePicker(false);
});
document.addEventListener("visibilitychange", receipts);

if (embedded && site) {
  toPage({ m: "hello" });
  setTimeout(boot, 1500);
} else {
  boot();
}
