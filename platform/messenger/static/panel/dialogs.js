/* The "Dialogs" page: the conversation list (tabs mine / unassigned / all), the conversation
 * view with history, replies with files, ticks and typing, transfer to another branch, and the
 * visitor's details with routing, rating and assignment history. Live through the socket that
 * panel.js keeps (window.MessengerPanel); the HTTP API covers loads and fallbacks.
 *
 * Every piece of visitor or operator text goes into the page with textContent. The one
 * exception is a message's `body_html` (Markdown rendered and sanitised by the server): it is
 * parsed inert in a <template> and rebuilt from an allowlist of tags and attributes here. */
(() => {
  "use strict";

  const hub = window.MessengerPanel;
  const root = document.getElementById("dialogs");
  if (!hub || !root) return;

  const T = JSON.parse(document.getElementById("dialogs-i18n").textContent);
  const me = hub.me;
  const PAGE = 50;
  const RESUME_PAGE = 100; // the server's page size for `resume`
  const TYPING_SEND_MS = 2000;
  const TYPING_SHOW_MS = 5000;
  const ACK_WAIT_MS = 5000;
  const BODY_MAX = 10000;
  const OPEN_RESEND_MS = 3000;
  const LINK_FRESH_MS = 12 * 60 * 1000; // signed file links live 15 minutes

  const $ = (id) => document.getElementById(id);
  const el = {
    rows: $("dlg-rows"),
    listNote: $("dlg-list-note"),
    placeholder: $("dlg-placeholder"),
    empty: $("dialogs-empty"),
    choose: $("dlg-choose"),
    view: $("dlg-view"),
    avatar: $("dlg-avatar"),
    title: $("dlg-title"),
    subtitle: $("dlg-subtitle"),
    take: $("dlg-take"),
    transfer: $("dlg-transfer"),
    close: $("dlg-close"),
    reopen: $("dlg-reopen"),
    notice: $("dlg-notice"),
    scroller: $("dlg-messages"),
    older: $("dlg-older"),
    list: $("dlg-message-list"),
    typing: $("dlg-typing"),
    composer: $("dlg-composer"),
    input: $("dlg-input"),
    send: $("dlg-send"),
    attach: $("dlg-attach"),
    file: $("dlg-file"),
    files: $("dlg-files"),
    sendError: $("dlg-send-error"),
    contact: $("dlg-contact"),
    history: $("contact-history"),
    ratingBox: $("contact-rating-box"),
    rating: $("contact-rating"),
    ratingComment: $("contact-rating-comment"),
    modal: $("transfer-dialog"),
    transferForm: $("transfer-form"),
    transferBranch: $("transfer-branch"),
    transferOperators: $("transfer-operators"),
    transferState: $("transfer-state"),
    transferNote: $("transfer-note"),
    transferError: $("transfer-error"),
    transferSubmit: $("transfer-submit"),
  };

  const state = {
    tab: sessionStorage.getItem("dialogs:tab") || "all",
    status: "open",
    rows: new Map(), // id -> conversation row shown in the list
    rowEls: new Map(), // id -> <li>
    everHadRows: false,
    currentId: null,
    current: null, // the open conversation's row
    seqs: new Map(), // seq -> <li> of the open conversation's messages
    // client_id -> {body, li, tries, timer, inFlight, failed}, in typing order; only the first
    // unsent one is on its way, so the server numbers replies in the order they were written.
    pending: new Map(),
    oldestSeq: null,
    newestSeq: 0,
    loadingOlder: false,
    readSent: 0,
    typingSentAt: 0,
    typingTimers: new Map(), // conversation id -> timer hiding "typing…"
    lostAccess: false,
    branches: new Map(), // id -> {id, name, is_active, …}
    drafts: new Map(), // conversation id -> files chosen for the next reply [{key, file, …}]
    openSentAt: new Map(), // conversation id -> when we last said "the operator looks at it"
    historyKey: "", // assignee/branch/status the shown history belongs to
    stickyNotice: "", // a notice that outlives row updates (after a transfer)
  };
  let historyTicket = 0; // only the last history request of the open dialog counts

  // --- formatting ----------------------------------------------------------------------------

  const lang = document.documentElement.lang || "en";
  const timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
  const dateFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
  const fullFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
  }

  function shortTime(iso) {
    if (!iso) return "";
    const when = new Date(iso);
    const today = new Date().toDateString() === when.toDateString();
    return today ? timeFormat.format(when) : dateFormat.format(when);
  }

  function contactName(row) {
    const contact = row.contact || {};
    return contact.name || fill(T.visitor_n, { id: contact.id ?? row.id });
  }

  function node(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const plural = new Intl.PluralRules(lang);
  function chatsText(n) {
    const forms = T.chats || {};
    return fill(forms[plural.select(n)] || forms.other || "{n}", { n });
  }

  const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  function fileSize(bytes) {
    const n = Number(bytes) || 0;
    if (n < 1024) return fill(T.size_b, { n: numberFormat.format(n) });
    if (n < 1024 * 1024) return fill(T.size_kb, { n: numberFormat.format(n / 1024) });
    return fill(T.size_mb, { n: numberFormat.format(n / 1024 / 1024) });
  }

  /** A link target we are willing to put in an href: our own paths and http(s)/mailto/tel. */
  function safeUrl(url, { relative = false } = {}) {
    const text = String(url || "");
    if (relative && /^\/(?!\/)/.test(text)) return text;
    return /^(https?:|mailto:|tel:)/i.test(text) ? text : "";
  }

  // The server's Markdown subset. Anything else is unwrapped (its text kept) or, for elements
  // whose content is not text, dropped.
  const RICH_TAGS = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "A", "UL", "OL", "LI", "S"]);
  const DROP_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "SVG", "MATH", "NOSCRIPT"]);

  function richCopy(from, into) {
    for (const child of from.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        into.append(document.createTextNode(child.data));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        const tag = child.tagName.toUpperCase();
        if (DROP_TAGS.has(tag)) continue;
        if (!RICH_TAGS.has(tag)) {
          richCopy(child, into); // unknown wrapper: keep what it says, not what it is
          continue;
        }
        const made = document.createElement(tag.toLowerCase());
        if (tag === "A") {
          const href = safeUrl(child.getAttribute("href"));
          if (href) {
            made.href = href;
            made.target = "_blank";
            made.rel = "noopener noreferrer nofollow";
          }
        }
        richCopy(child, made);
        into.append(made);
      }
    }
  }

  /** The message text: sanitised rich HTML when the server rendered it, plain text otherwise. */
  function messageBody(message) {
    const html = typeof message.body_html === "string" ? message.body_html.trim() : "";
    if (html) {
      const template = document.createElement("template");
      template.innerHTML = html; // template content is inert: nothing loads or runs
      const body = node("div", "msg-body rich");
      richCopy(template.content, body);
      if (body.textContent.trim()) return body;
    }
    return message.body ? node("p", "msg-body", message.body) : null;
  }

  function errorText(error) {
    const detail = error && error.body && error.body.detail;
    if (typeof detail === "string") return detail;
    if (detail && typeof detail === "object") return Object.values(detail).flat().join(" ");
    return T.action_failed;
  }

  // --- the list ------------------------------------------------------------------------------

  function inView(row) {
    const closed = row.status === "closed";
    if ((state.status === "closed") !== closed) return false;
    if (!hub.visibleToMe(row)) return false;
    if (state.tab === "mine") return row.assignee_id === me.id;
    if (state.tab === "unassigned") return row.assignee_id === null;
    return true;
  }

  function sortKey(row) {
    return row.last_message_at || row.created_at || "";
  }

  function rowElement(id) {
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

  function renderRow(row) {
    const button = rowElement(row.id).firstChild;
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

  function waitingText(row) {
    if (row.status !== "pending" || !row.queued_at) return "";
    return fill(T.waiting_since, { time: shortTime(row.queued_at) });
  }

  /** Assigned to me and not opened yet: the escalation clock is running. */
  function isNewForMe(row) {
    return row.assignee_id === me.id && !row.opened_at && row.status !== "closed";
  }

  function rowBody(row, typing) {
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
    body.append(
      top,
      node("span", typing ? "dlg-row-preview typing" : "dlg-row-preview", preview),
      assignee,
    );
    return body;
  }

  function rowSide(row, unread) {
    const side = node("span", "dlg-row-side");
    const time = node("time", "dlg-row-time", shortTime(row.last_message_at || row.created_at));
    time.dateTime = row.last_message_at || row.created_at || "";
    side.append(time);
    if (unread > 0) side.append(node("span", "badge dlg-row-unread", String(unread)));
    return side;
  }

  function renderList() {
    const rows = [...state.rows.values()].sort(
      (a, b) => sortKey(b).localeCompare(sortKey(a)) || b.id - a.id,
    );
    // Re-append in order: existing <li> nodes move instead of being rebuilt.
    for (const row of rows) {
      renderRow(row);
      el.rows.append(state.rowEls.get(row.id));
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

  function renderPlaceholder() {
    const anything = state.everHadRows || state.rows.size > 0;
    el.empty.hidden = anything;
    el.choose.hidden = !anything;
  }

  /** A row from the server (list, event or action): keep, move or drop it in the list. */
  function applyRow(row) {
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
  async function loadList() {
    const query = new URLSearchParams({ tab: state.tab, status: state.status });
    const ticket = ++listTicket; // quick tab clicks: only the last answer counts
    try {
      const data = await hub.api("GET", `/conversations?${query}`);
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

  function selectTab(tab) {
    state.tab = tab;
    sessionStorage.setItem("dialogs:tab", tab);
    for (const button of root.querySelectorAll("[data-tab]")) {
      const active = button.dataset.tab === tab;
      button.classList.toggle("active", active);
      button.setAttribute("aria-selected", active ? "true" : "false");
    }
    loadList();
  }

  function selectStatus(status) {
    state.status = status;
    for (const button of root.querySelectorAll("[data-status]")) {
      const active = button.dataset.status === status;
      button.classList.toggle("active", active);
      button.setAttribute("aria-pressed", active ? "true" : "false");
    }
    loadList();
  }

  // --- the open conversation -----------------------------------------------------------------

  function resetView() {
    // Unsent replies keep going in the background (state.pending); only the view is cleared.
    state.seqs.clear();
    state.oldestSeq = null;
    state.newestSeq = 0;
    state.readSent = 0;
    state.lostAccess = false;
    state.stickyNotice = "";
    state.historyKey = "";
    historyTicket += 1; // an answer still on its way belongs to the previous dialog
    el.list.replaceChildren();
    el.history.replaceChildren();
    el.typing.hidden = true;
    el.sendError.hidden = true;
    el.notice.hidden = true;
    el.view.classList.remove("dragging");
    if (el.modal.open) el.modal.close();
  }

  async function openConversation(id) {
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
      const data = await hub.api("GET", `/conversations/${id}/messages?limit=${PAGE}`);
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
      showNotice(error && error.status === 404 ? T.taken_note : T.load_failed);
    }
  }

  function closeView() {
    stopTyping();
    resetView();
    state.currentId = null;
    state.current = null;
    el.view.hidden = true;
    el.contact.hidden = true;
    el.placeholder.hidden = false;
    renderList();
  }

  function showNotice(text) {
    el.notice.textContent = text;
    el.notice.hidden = !text;
  }

  function branchName(id) {
    const branch = id ? state.branches.get(id) : null;
    return branch ? branch.name : "";
  }

  /** The header, actions, composer and visitor details follow the conversation's row. */
  function applyCurrent(row) {
    state.current = { ...state.current, ...row };
    const current = state.current;
    el.title.textContent = contactName(current);
    el.avatar.textContent = contactName(current).slice(0, 1).toUpperCase();
    const status = waitingText(current) || T[current.status] || current.status;
    const who = current.assignee_name
      ? fill(T.assigned_to, { name: current.assignee_name })
      : T.unassigned;
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
  function markOpened() {
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

  function notSet(dd, value) {
    dd.textContent = value || T.not_set;
    dd.classList.toggle("muted", !value);
  }

  function renderRouting(current) {
    notSet($("contact-branch"), branchName(current.branch_id));
    const region = [current.region_name, current.country_code].filter(Boolean).join(", ");
    notSet($("contact-region"), region);
    notSet($("contact-reason"), current.routing_reason);
  }

  function renderRating(rating) {
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
      el.rating.title = el.rating.getAttribute("aria-label");
    }
    el.ratingComment.textContent = rating.comment || "";
    el.ratingComment.hidden = !rating.comment;
  }

  // --- assignment history --------------------------------------------------------------------

  function historyKeyOf(row) {
    return `${row.assignee_id ?? ""}:${row.branch_id ?? ""}:${row.status}`;
  }

  async function loadHistory() {
    const id = state.currentId;
    if (!id || !state.current || state.lostAccess) return;
    state.historyKey = historyKeyOf(state.current);
    const ticket = ++historyTicket;
    try {
      const items = await hub.api("GET", `/conversations/${id}/assignments`);
      if (ticket !== historyTicket || id !== state.currentId) return;
      renderHistory(Array.isArray(items) ? items : []);
    } catch {
      // the side panel keeps what it had; the next change loads it again
    }
  }

  function renderHistory(items) {
    const sorted = [...items].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    const lines = sorted.map((item) => {
      const li = node("li", "dlg-history-item");
      li.dataset.reason = item.reason || "";
      const head = node("div", "dlg-history-head");
      const reasons = T.reasons || {};
      head.append(node("span", "dlg-history-reason", reasons[item.reason] || item.reason_label || item.reason));
      const time = node("time", "dlg-history-time", shortTime(item.created_at));
      time.dateTime = item.created_at || "";
      time.title = item.created_at ? fullFormat.format(new Date(item.created_at)) : "";
      head.append(time);
      const to = item.assignee ? fill(T.history_to, { name: item.assignee }) : T.history_queue;
      li.append(head, node("div", "dlg-history-to", [to, item.branch].filter(Boolean).join(" · ")));
      if (item.actor) li.append(node("div", "dlg-history-by", fill(T.history_by, { name: item.actor })));
      // Routing notes repeat "Why here" above; transfer notes are what a colleague wrote.
      const repeat = item.reason === "routing" && item.note === (state.current || {}).routing_reason;
      if (item.note && !repeat) li.append(node("p", "dlg-history-note", item.note));
      return li;
    });
    if (!lines.length) lines.push(node("li", "dlg-history-empty muted", T.history_empty));
    el.history.replaceChildren(...lines);
  }

  function renderContact(contact) {
    notSet($("contact-name"), contact.name);
    notSet($("contact-email"), contact.email);
    notSet($("contact-phone"), contact.phone);
    notSet($("contact-created"), contact.created_at && fullFormat.format(new Date(contact.created_at)));
    notSet($("contact-seen"), contact.last_seen_at && fullFormat.format(new Date(contact.last_seen_at)));
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

  // --- messages ------------------------------------------------------------------------------

  function messageElement(message, { pending = false } = {}) {
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

  /** Images inline (click opens the full size), other files as download links. */
  function filesElement(attachments) {
    const list = Array.isArray(attachments) ? attachments : [];
    const box = node("div", "msg-files");
    const signedAt = String(Date.now());
    for (const file of list) {
      const url = safeUrl(file && file.url, { relative: true });
      if (!url) continue;
      const name = file.name || "file";
      const link = node("a", file.is_image ? "msg-image" : "msg-file");
      link.href = url;
      link.rel = "noopener noreferrer";
      link.dataset.attachmentId = String(file.id);
      link.dataset.signedAt = signedAt;
      if (file.is_image) {
        link.target = "_blank";
        link.title = name;
        const img = document.createElement("img");
        img.alt = name;
        img.loading = "lazy";
        img.decoding = "async";
        if (file.width > 0 && file.height > 0) {
          img.width = file.width; // the box keeps its shape while the image loads
          img.height = file.height;
        }
        img.addEventListener("error", () => refreshLink(link, { reload: true }), { once: true });
        img.src = url;
        link.append(img);
      } else {
        link.setAttribute("download", name);
        link.title = fill(T.download, { name });
        link.append(
          node("span", "msg-file-icon", "📄"),
          node("span", "msg-file-name", name),
          node("small", "msg-file-size", fileSize(file.size)),
        );
      }
      box.append(link);
    }
    return box.children.length ? box : null;
  }

  /** Signed file links expire after 15 minutes: fetch the message again for fresh ones. */
  async function freshAttachment(link) {
    const li = link.closest(".msg");
    const seq = Number(li && li.dataset.seq);
    const id = state.currentId;
    if (!seq || !id) return null;
    const data = await hub.api("GET", `/conversations/${id}/messages?after=${seq - 1}&limit=1`);
    const message = (data.messages || []).find((m) => m.seq === seq);
    const found = message && (message.attachments || []).find((a) => String(a.id) === link.dataset.attachmentId);
    const url = found && safeUrl(found.url, { relative: true });
    if (!url) return null;
    link.href = url;
    link.dataset.signedAt = String(Date.now());
    return url;
  }

  async function refreshLink(link, { reload = false } = {}) {
    try {
      const url = await freshAttachment(link);
      const img = link.querySelector("img");
      if (url && reload && img) img.src = url;
      return url;
    } catch {
      return null;
    }
  }

  function onFileClick(event) {
    const link = event.target.closest(".msg-files a");
    if (!link || Date.now() - Number(link.dataset.signedAt || 0) < LINK_FRESH_MS) return;
    event.preventDefault(); // an old link: get a fresh one first
    refreshLink(link).then((url) => {
      if (!url) return;
      if (link.classList.contains("msg-image")) window.open(url, "_blank", "noopener");
      else location.assign(url); // served as an attachment: downloads, the page stays
    });
  }

  /** Insert by seq (history, live and resumed messages arrive in any order, maybe twice). */
  function addMessage(message) {
    settlePending(message);
    if (message.conversation_id !== state.currentId || !message.seq) return false;
    if (state.seqs.has(message.seq)) return false;
    el.list.querySelector(".msg-empty")?.remove();
    const li = messageElement(message);
    state.seqs.set(message.seq, li);
    const after = [...state.seqs.keys()].filter((seq) => seq > message.seq).sort((a, b) => a - b);
    const before = after.length ? state.seqs.get(after[0]) : el.list.querySelector(".pending");
    el.list.insertBefore(li, before || null);
    state.oldestSeq = state.oldestSeq === null ? message.seq : Math.min(state.oldestSeq, message.seq);
    // A jump in the sequence: signals were lost on the way (Redis was away, say).
    const gap = state.newestSeq && message.seq > state.newestSeq + 1;
    state.newestSeq = Math.max(state.newestSeq, message.seq);
    renderTicks(li);
    if (gap) resumeMessages(heldSeq()); // fetch what lies in between
    return true;
  }

  /** The last seq before the first hole in the open dialog: where a catch-up starts. */
  function heldSeq() {
    let seq = state.oldestSeq || 0;
    while (state.seqs.has(seq + 1)) seq += 1;
    return seq;
  }

  /** The server has our reply: its bubble gives way to the stored message; next in line goes. */
  function settlePending(message) {
    const pending = message.client_id && state.pending.get(message.client_id);
    if (!pending) return;
    clearTimeout(pending.timer);
    pending.li.remove();
    state.pending.delete(message.client_id);
    pump();
  }

  function addMessages(messages) {
    let added = false;
    for (const message of messages) added = addMessage(message) || added;
    el.older.hidden = true;
    return added;
  }

  /** One tick: the visitor's device has it; two: the visitor has read it. */
  function renderTicks(only) {
    const current = state.current;
    if (!current) return;
    const items = only ? [only] : el.list.querySelectorAll(".msg-operator[data-seq]");
    for (const li of items) {
      const ticks = li.querySelector(".msg-ticks");
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

  function nearBottom() {
    const box = el.scroller;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function scrollToBottom() {
    el.scroller.scrollTop = el.scroller.scrollHeight;
  }

  async function loadOlder() {
    const id = state.currentId;
    if (state.loadingOlder || !id || !state.oldestSeq || state.oldestSeq <= 1) return;
    state.loadingOlder = true;
    el.older.hidden = false;
    const before = state.oldestSeq;
    const height = el.scroller.scrollHeight;
    try {
      const data = await hub.api("GET", `/conversations/${id}/messages?before=${before}&limit=${PAGE}`);
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
  function markRead() {
    const id = state.currentId;
    if (!id || document.hidden || !state.newestSeq || state.lostAccess) return;
    if (state.newestSeq <= state.readSent && !hub.unread.get(id)) return;
    state.readSent = state.newestSeq;
    hub.receipts(id, { read_seq: state.newestSeq });
    if (hub.unread.delete(id)) hub.renderBadge();
  }

  // --- sending -------------------------------------------------------------------------------

  function submit() {
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
    if (body.length > BODY_MAX) {
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
      sender_type: "operator",
      sender_name: me.name || T.you,
      created_at: new Date().toISOString(),
      attachments: ready.map((draft) => draft.attachment),
      attachment_ids: ready.map((draft) => draft.attachment.id),
    };
    const li = messageElement(message, { pending: true });
    li.querySelector(".msg-ticks").textContent = "…";
    li.title = T.sending;
    el.list.querySelector(".msg-empty")?.remove();
    el.list.append(li);
    scrollToBottom();
    const pending = { ...message, li, tries: 0, timer: 0, inFlight: false, failed: false };
    state.pending.set(message.client_id, pending);
    li.addEventListener("click", () => pending.failed && retryFailed(pending));
    pump();
  }

  /** The oldest reply that is neither sent nor given up on. */
  function head() {
    for (const pending of state.pending.values()) if (!pending.failed) return pending;
    return null;
  }

  function pump() {
    const next = head();
    if (!next || next.inFlight) return;
    next.inFlight = true;
    deliver(next);
  }

  /** A click on a failed reply: back into the queue, at its end. */
  function retryFailed(pending) {
    state.pending.delete(pending.client_id);
    Object.assign(pending, { failed: false, inFlight: false, tries: 0 });
    pending.li.classList.remove("failed");
    pending.li.title = T.sending;
    pending.li.querySelector(".msg-ticks").textContent = "…";
    el.list.append(pending.li);
    state.pending.set(pending.client_id, pending);
    showSendError("");
    pump();
  }

  /** Over the socket when it is up (the ack confirms), else over HTTP; same client_id always,
   * so the server stores the message once however many tries it takes. */
  function deliver(pending) {
    clearTimeout(pending.timer);
    const frame = {
      type: "message.send",
      conversation_id: pending.conversation_id,
      body: pending.body,
      client_id: pending.client_id,
      attachment_ids: pending.attachment_ids,
    };
    if (hub.send(frame)) {
      pending.timer = setTimeout(() => viaHttp(pending), ACK_WAIT_MS);
    } else {
      viaHttp(pending);
    }
  }

  async function viaHttp(pending) {
    if (!state.pending.has(pending.client_id)) return;
    try {
      const message = await hub.api("POST", `/conversations/${pending.conversation_id}/messages`, {
        body: pending.body,
        client_id: pending.client_id,
        attachment_ids: pending.attachment_ids,
      });
      addMessage(message);
    } catch (error) {
      if (!state.pending.has(pending.client_id)) return;
      if (error && error.status >= 400 && error.status < 500) {
        failPending(pending, errorText(error)); // retrying would get the same answer
        return;
      }
      pending.tries += 1;
      pending.li.title = T.retrying;
      pending.timer = setTimeout(() => deliver(pending), Math.min(30000, 1000 * 2 ** pending.tries));
    }
  }

  function failPending(pending, text) {
    clearTimeout(pending.timer);
    Object.assign(pending, { failed: true, inFlight: false });
    pending.li.classList.add("failed");
    pending.li.title = T.failed;
    pending.li.querySelector(".msg-ticks").textContent = "!";
    pump(); // the next reply need not wait for this one
    if (pending.conversation_id === state.currentId) showSendError(text);
  }

  function showSendError(text) {
    el.sendError.textContent = text;
    el.sendError.hidden = !text;
  }

  // --- files for the next reply: paperclip, paste, drop --------------------------------------

  function draftsOf(id) {
    if (!state.drafts.has(id)) state.drafts.set(id, []);
    return state.drafts.get(id);
  }

  function dropDraft(id, draft) {
    if (draft.preview) URL.revokeObjectURL(draft.preview);
    const list = draftsOf(id);
    const at = list.indexOf(draft);
    if (at >= 0) list.splice(at, 1);
  }

  function clearDrafts(id) {
    for (const draft of [...draftsOf(id)]) dropDraft(id, draft);
    if (id === state.currentId) renderDrafts();
  }

  /** Each file goes up at once; the reply takes the ones that made it. */
  function addFiles(files) {
    const id = state.currentId;
    if (!id || el.input.disabled || !files.length) return;
    showSendError("");
    for (const file of files) {
      const draft = {
        key: uuid(),
        name: file.name || "file",
        size: file.size,
        uploading: true,
        error: "",
        attachment: null,
        preview: /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : "",
      };
      draftsOf(id).push(draft);
      hub
        .upload(`/conversations/${id}/attachments`, file, draft.name)
        .then((attachment) => {
          draft.attachment = attachment;
        })
        .catch((error) => {
          draft.error = errorText(error);
        })
        .finally(() => {
          draft.uploading = false;
          if (id === state.currentId) renderDrafts();
        });
    }
    renderDrafts();
    el.input.focus();
  }

  function renderDrafts() {
    const list = state.currentId ? draftsOf(state.currentId) : [];
    el.files.hidden = !list.length;
    el.files.replaceChildren(
      ...list.map((draft) => {
        const li = node("li", "dlg-file-chip");
        li.classList.toggle("uploading", draft.uploading);
        li.classList.toggle("failed", Boolean(draft.error));
        if (draft.preview) {
          const thumb = document.createElement("img");
          thumb.className = "dlg-file-thumb";
          thumb.alt = "";
          thumb.src = draft.preview;
          li.append(thumb);
        } else {
          li.append(node("span", "dlg-file-thumb icon", "📄"));
        }
        const text = node("span", "dlg-file-text");
        const detail = draft.uploading ? T.uploading : draft.error || fileSize(draft.size);
        text.append(node("span", "dlg-file-name", draft.name), node("small", "dlg-file-state", detail));
        const remove = node("button", "dlg-file-remove", "×");
        remove.type = "button";
        remove.title = fill(T.remove_file, { name: draft.name });
        remove.setAttribute("aria-label", remove.title);
        remove.addEventListener("click", () => {
          dropDraft(state.currentId, draft);
          renderDrafts();
          el.input.focus();
        });
        li.append(text, remove);
        return li;
      }),
    );
  }

  /** A pasted screenshot is called "image.png" by every browser: give it a useful name. */
  function pastedName(file) {
    const extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    const stamp = new Date().toTimeString().slice(0, 8).replace(/:/g, "-");
    return `${T.pasted_name || "screenshot"}-${stamp}.${extension}`;
  }

  function onPaste(event) {
    const data = event.clipboardData;
    if (!data || !data.files || !data.files.length) return;
    // Text copied from an office program comes with a picture of itself: keep the text.
    if (data.types.includes("text/plain") && data.getData("text/plain").trim()) return;
    event.preventDefault();
    addFiles(
      [...data.files].map((file) =>
        file.type.startsWith("image/") ? new File([file], pastedName(file), { type: file.type }) : file,
      ),
    );
  }

  function hasFiles(event) {
    return [...(event.dataTransfer?.types || [])].includes("Files");
  }

  function sendTyping(isTyping) {
    if (!state.currentId) return;
    hub.send({ type: "typing", conversation_id: state.currentId, is_typing: isTyping });
  }

  function onInput() {
    if (!el.input.value.trim()) return;
    const now = Date.now();
    if (now - state.typingSentAt < TYPING_SEND_MS) return; // at most one signal per 2 s
    state.typingSentAt = now;
    sendTyping(true);
  }

  function stopTyping() {
    if (!state.typingSentAt) return;
    state.typingSentAt = 0;
    sendTyping(false);
  }

  // --- actions -------------------------------------------------------------------------------

  async function action(name) {
    const id = state.currentId;
    if (!id) return;
    try {
      applyRow(await hub.api("POST", `/conversations/${id}/${name}`));
      if (name === "take" && state.tab === "unassigned") selectTab("mine");
    } catch (error) {
      showNotice(errorText(error));
    }
  }

  // --- transfer ------------------------------------------------------------------------------

  let branchesLoaded = null;
  function loadBranches({ force = false } = {}) {
    if (!branchesLoaded || force) {
      branchesLoaded = hub
        .api("GET", "/branches")
        .then((list) => {
          state.branches = new Map(list.map((branch) => [branch.id, branch]));
          if (state.current) applyCurrent({});
        })
        .catch(() => {
          branchesLoaded = null; // try again next time
        });
    }
    return branchesLoaded;
  }

  async function openTransfer() {
    const current = state.current;
    if (!current || el.modal.open) return;
    el.transferError.hidden = true;
    el.transferNote.value = "";
    await loadBranches({ force: true }); // a branch may have been switched off meanwhile
    const active = [...state.branches.values()].filter((branch) => branch.is_active);
    el.transferBranch.replaceChildren(
      ...active.map((branch) => {
        const label = branch.id === current.branch_id ? fill(T.current_branch, { name: branch.name }) : branch.name;
        const option = node("option", "", label);
        option.value = String(branch.id);
        return option;
      }),
    );
    // Most transfers go elsewhere: preselect the first other branch.
    const other = active.find((branch) => branch.id !== current.branch_id) || active[0];
    if (other) el.transferBranch.value = String(other.id);
    el.transferSubmit.disabled = !active.length;
    el.modal.showModal();
    if (active.length) loadOperators();
    else transferState(T.no_branches);
    el.transferBranch.focus();
  }

  function transferState(text) {
    el.transferState.textContent = text;
    el.transferState.hidden = !text;
  }

  let operatorsTicket = 0;
  async function loadOperators() {
    const branchId = Number(el.transferBranch.value);
    const ticket = ++operatorsTicket;
    const any = el.transferOperators.firstElementChild; // "First free operator" stays
    any.querySelector("input").checked = true;
    el.transferOperators.replaceChildren(any);
    transferState(T.loading);
    try {
      const people = await hub.api("GET", `/routing/branches/${branchId}/operators`);
      if (ticket !== operatorsTicket) return;
      const others = people.filter((person) => person.id !== me.id);
      transferState(others.length ? "" : T.no_operators);
      el.transferOperators.append(...others.map(operatorOption));
    } catch (error) {
      if (ticket === operatorsTicket) transferState(errorText(error));
    }
  }

  function operatorOption(person) {
    const li = node("li");
    li.dataset.userId = String(person.id);
    const label = node("label", "transfer-option");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "transfer-operator";
    radio.value = String(person.id);
    const dot = node("span", "status-dot");
    const text = node("span", "transfer-person");
    const name = node("span", "transfer-name", person.full_name);
    const status = node("span", "visually-hidden transfer-status");
    let load = chatsText(person.load || 0);
    if (person.capacity) load += ` · ${fill(T.max_chats, { n: person.capacity })}`;
    text.append(name, status);
    label.append(radio, dot, text, node("span", "transfer-load", load));
    li.append(label);
    setOperatorStatus(li, person.status);
    return li;
  }

  function setOperatorStatus(li, status) {
    const label = (T.statuses || {})[status] || status;
    li.dataset.status = status;
    li.querySelector(".status-dot").dataset.status = status;
    li.querySelector(".status-dot").title = label;
    li.querySelector(".transfer-status").textContent = `, ${label}`;
  }

  async function submitTransfer() {
    const id = state.currentId;
    const branchId = Number(el.transferBranch.value);
    if (!id || !branchId) return;
    const chosen = el.transferOperators.querySelector("input:checked");
    const operatorId = chosen && chosen.value ? Number(chosen.value) : null;
    el.transferSubmit.disabled = true;
    el.transferError.hidden = true;
    try {
      const row = await hub.api("POST", `/conversations/${id}/transfer`, {
        branch_id: branchId,
        operator_id: operatorId,
        note: el.transferNote.value.trim(),
      });
      el.modal.close();
      if (id !== state.currentId) return;
      const branch = branchName(row.branch_id) || branchName(branchId);
      state.stickyNotice = row.assignee_id
        ? fill(T.transferred_to, { name: row.assignee_name, branch })
        : fill(T.transferred_queue, { branch });
      hub.track(row);
      applyRow(row);
    } catch (error) {
      el.transferError.textContent = errorText(error);
      el.transferError.hidden = false;
    } finally {
      el.transferSubmit.disabled = false;
    }
  }

  function onOperatorStatus(payload) {
    if (!payload || !el.modal.open) return;
    const li = el.transferOperators.querySelector(`li[data-user-id="${Number(payload.user_id)}"]`);
    if (li) setOperatorStatus(li, payload.status);
  }

  // --- live events ---------------------------------------------------------------------------

  function showTyping(payload) {
    if (payload.side !== "visitor") return;
    const id = payload.conversation_id;
    clearTimeout(state.typingTimers.get(id));
    if (payload.is_typing) {
      // No news for 5 s means the visitor stopped (their "stopped" signal may never come).
      state.typingTimers.set(id, setTimeout(() => hideTyping(id), TYPING_SHOW_MS));
    } else {
      state.typingTimers.delete(id);
    }
    if (id === state.currentId) el.typing.hidden = !payload.is_typing;
    if (state.rows.has(id)) renderRow(state.rows.get(id));
  }

  function hideTyping(id) {
    clearTimeout(state.typingTimers.get(id));
    state.typingTimers.delete(id);
    if (id === state.currentId) el.typing.hidden = true;
    if (state.rows.has(id)) renderRow(state.rows.get(id));
  }

  function onMessageCreated(message) {
    if (message.sender_type === "visitor") hideTyping(message.conversation_id);
    if (message.conversation) applyRow(message.conversation);
    const stick = nearBottom() || state.pending.has(message.client_id);
    settlePending(message);
    if (message.conversation_id !== state.currentId) return;
    if (addMessage(message) && stick) scrollToBottom();
    markRead();
  }

  function onReceipts(payload) {
    const row = state.rows.get(payload.conversation_id);
    if (row) Object.assign(row, payload);
    if (payload.conversation_id === state.currentId) {
      Object.assign(state.current, payload);
      renderTicks();
    }
  }

  function onAck(_payload, frame) {
    const message = frame.payload;
    if (message) addMessage(message);
  }

  function onError(_payload, frame) {
    const pending = frame.ref && state.pending.get(frame.ref);
    if (!pending) return;
    if (frame.code === "invalid" || frame.code === "not_found") {
      failPending(pending, typeof frame.detail === "string" ? frame.detail : errorText({ body: frame }));
    } else {
      viaHttp(pending);
    }
  }

  /** After a reconnect: the list again, and the open conversation from the last seq we hold. */
  let socketOpenedBefore = false;
  function onSocketOpen() {
    if (!socketOpenedBefore) {
      socketOpenedBefore = true;
      return;
    }
    loadList();
    resume();
    // The reply on its way may have been lost with the old socket: send it again (same id).
    const next = head();
    if (next && next.inFlight) deliver(next);
    else pump();
  }

  function resume() {
    if (!state.currentId) return;
    resumeMessages(heldSeq());
    hub
      .api("GET", `/conversations/${state.currentId}`)
      .then(applyRow)
      .catch(() => {});
  }

  /** The open dialog's messages after `after`: a `resume` frame, or HTTP without a socket. */
  function resumeMessages(after) {
    const id = state.currentId;
    if (!id || hub.send({ type: "resume", conversation_id: id, after })) return;
    hub
      .api("GET", `/conversations/${id}/messages?after=${after}&limit=${RESUME_PAGE}`)
      .then((data) => onResumed(null, { conversation_id: id, payload: data.messages }))
      .catch(() => {}); // the next gap, resync or reconnect asks again
  }

  function onResumed(_payload, frame) {
    if (frame.conversation_id !== state.currentId) return;
    const page = frame.payload || [];
    const stick = nearBottom();
    addMessages(page);
    if (stick) scrollToBottom();
    if (frame.receipts) onReceipts(frame.receipts); // receipts missed while away
    markRead();
    // A long absence: keep asking, after this page's last message, until a short page.
    if (page.length >= RESUME_PAGE) resumeMessages(page[RESUME_PAGE - 1].seq);
  }

  /** The server lost events for this socket (Redis was away): as after a reconnect. */
  function onResync() {
    loadList();
    resume();
  }

  hub.on("conversation.created", applyRow);
  hub.on("conversation.updated", applyRow);
  hub.on("message.created", onMessageCreated);
  hub.on("message.ack", onAck);
  hub.on("message.receipts", onReceipts);
  hub.on("messages", onResumed);
  hub.on("typing", showTyping);
  hub.on("error", onError);
  hub.on("socket.open", onSocketOpen);
  hub.on("resync", onResync);
  hub.on("operator.status", onOperatorStatus);
  hub.on("unread", () => {
    for (const row of state.rows.values()) renderRow(row);
  });
  hub.setReadingCheck((id) => id === state.currentId && !document.hidden);

  // --- wiring --------------------------------------------------------------------------------

  for (const button of root.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", () => selectTab(button.dataset.tab));
  }
  for (const button of root.querySelectorAll("[data-status]")) {
    button.addEventListener("click", () => selectStatus(button.dataset.status));
  }
  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  el.input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing a word.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  el.input.addEventListener("input", onInput);
  el.input.addEventListener("blur", stopTyping);
  el.scroller.addEventListener("scroll", () => {
    if (el.scroller.scrollTop < 80) loadOlder();
  });
  el.take.addEventListener("click", () => action("take"));
  el.transfer.addEventListener("click", openTransfer);
  el.transferBranch.addEventListener("change", loadOperators);
  el.transferForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitTransfer();
  });
  for (const button of [$("transfer-cancel"), $("transfer-x")]) {
    button.addEventListener("click", () => el.modal.close());
  }
  el.modal.addEventListener("click", (event) => {
    if (event.target === el.modal) el.modal.close(); // a click on the backdrop
  });
  el.attach.addEventListener("click", () => el.file.click());
  el.file.addEventListener("change", () => {
    addFiles([...el.file.files]);
    el.file.value = ""; // the same file can be chosen again
  });
  el.input.addEventListener("paste", onPaste);
  el.view.addEventListener("dragover", (event) => {
    if (!hasFiles(event) || el.input.disabled) return;
    event.preventDefault();
    el.view.classList.add("dragging");
  });
  el.view.addEventListener("dragleave", (event) => {
    if (!el.view.contains(event.relatedTarget)) el.view.classList.remove("dragging");
  });
  el.view.addEventListener("drop", (event) => {
    el.view.classList.remove("dragging");
    if (!hasFiles(event) || el.input.disabled) return;
    event.preventDefault();
    addFiles([...event.dataTransfer.files]);
  });
  el.list.addEventListener("click", onFileClick);
  el.close.addEventListener("click", () => action("close"));
  const endSessions = $("dlg-end-sessions"); // supervisors and admins only
  if (endSessions) {
    endSessions.addEventListener("click", async () => {
      const id = state.currentId;
      if (!id || !window.confirm(T.end_sessions_confirm)) return;
      try {
        applyRow(await hub.api("POST", `/conversations/${id}/end-visitor-sessions`));
        showNotice(T.sessions_ended);
      } catch (error) {
        showNotice(errorText(error));
      }
    });
  }
  el.reopen.addEventListener("click", () => action("reopen"));
  const onVisible = () => {
    markRead();
    markOpened();
  };
  document.addEventListener("visibilitychange", onVisible);
  window.addEventListener("focus", onVisible);
  window.addEventListener("hashchange", () => {
    const id = Number(location.hash.slice(1));
    if (id) openConversation(id);
    else closeView();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || el.modal.open) return; // Escape in the dialog closes only it
    if (state.currentId && document.activeElement !== el.input) closeView();
  });

  loadBranches();
  selectTab(["mine", "unassigned", "all"].includes(state.tab) ? state.tab : "all");
  // An emailed link names the conversation as ?c=<id> (a query survives signing in, a
  // fragment does not); it becomes the usual #<id>.
  const fromQuery = Number(new URLSearchParams(location.search).get("c"));
  if (fromQuery) history.replaceState(null, "", `${location.pathname}#${fromQuery}`);
  const fromHash = Number(location.hash.slice(1));
  if (fromHash) openConversation(fromHash);
})();
