/* Messenger chat widget for a company's website: a launcher button and a chat panel.
 *
 *   <script src="https://…/static/widget/minimal-widget.js" data-key="PUBLIC_KEY"
 *           data-api="https://api.example.com" defer></script>
 *
 * data-api empty means the page's own origin. Everything renders inside a Shadow DOM so the host
 * page's CSS cannot break it (and ours cannot leak out). Live over a WebSocket that resumes from
 * the last message it holds; after 3 failed sockets in a row it falls back to Server-Sent Events.
 * Messages carry a client id so a retry never duplicates. Visitor and operator text is always set
 * with textContent, never parsed as HTML. Plain ES2020, no dependencies. */
(() => {
  "use strict";

  const script =
    document.currentScript || document.querySelector("script[data-key][src*='minimal-widget']");
  if (!script || window.__messengerWidget) return; // one widget per page, even if pasted twice
  window.__messengerWidget = true;

  const KEY = script.dataset.key || "";
  const API = (script.dataset.api || location.origin).replace(/\/+$/, "");
  const TOKEN_KEY = `messenger:${KEY}:token`;
  const PING_MS = 25000;
  const BACKOFF_MAX_MS = 30000;
  const SOCKET_FAILS_BEFORE_SSE = 3;
  const ACK_WAIT_MS = 5000;
  const TYPING_SEND_MS = 2000;
  const TYPING_SHOW_MS = 5000;
  // The server's limit (inboxes.models.message.BODY_MAX_LENGTH), which the page names in
  // data-body-max; without it the server's answer says when a message is too long.
  const BODY_MAX = Number(script.dataset.bodyMax) || Number.MAX_SAFE_INTEGER;

  const TEXTS = {
    en: {
      open: "Chat with us",
      close: "Close chat",
      placeholder: "Write a message…",
      send: "Send",
      typing: "Operator is typing…",
      operator: "Operator",
      you: "You",
      sending: "Sending…",
      retrying: "Not sent yet, retrying…",
      failed: "Not sent. Tap to retry.",
      delivered: "Delivered",
      read: "Read",
      closed: "The conversation is closed. Write to start a new one.",
      offline: "Connecting…",
      too_long: "The message is too long.",
      unavailable: "The chat is unavailable right now.",
    },
    ru: {
      open: "Напишите нам",
      close: "Закрыть чат",
      placeholder: "Напишите сообщение…",
      send: "Отправить",
      typing: "Оператор печатает…",
      operator: "Оператор",
      you: "Вы",
      sending: "Отправляется…",
      retrying: "Ещё не отправлено, повторяем…",
      failed: "Не отправлено. Нажмите, чтобы повторить.",
      delivered: "Доставлено",
      read: "Прочитано",
      closed: "Диалог закрыт. Напишите, чтобы начать новый.",
      offline: "Подключение…",
      too_long: "Сообщение слишком длинное.",
      unavailable: "Чат сейчас недоступен.",
    },
  };
  let T = TEXTS[(navigator.language || "en").slice(0, 2)] || TEXTS.en;

  const state = {
    token: storageGet(TOKEN_KEY),
    config: null,
    conversation: null, // {id, status, last_seq, operator_name, *_delivered_seq, *_read_seq}
    seqs: new Map(), // seq -> <li>, the current conversation's messages
    newestSeq: 0,
    newestOperatorSeq: 0,
    // client_id -> {body, li, tries, timer, inFlight, failed}; a Map keeps the typing order,
    // and only the first unsent one is on its way, so the server numbers them in that order.
    pending: new Map(),
    open: false,
    unseen: 0,
    socket: null,
    socketFails: 0,
    pingTimer: 0,
    events: null, // EventSource in SSE mode
    typingSentAt: 0,
    typingTimer: 0,
    receiptTimer: 0,
    starting: null, // the promise of a conversation being started
  };

  // --- small helpers -------------------------------------------------------------------------

  function storageGet(key) {
    try {
      return localStorage.getItem(key) || "";
    } catch {
      return ""; // storage blocked (third-party or private mode): a session per page view
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      // see storageGet
    }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // randomUUID needs a secure context (https); plenty of shop pages are plain http.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (state.token) headers.Authorization = `Bearer ${state.token}`;
    const response = await fetch(`${API}/widget/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", // the token is the only credential; no cookies cross sites
    });
    const parsed = await response.json().catch(() => null);
    if (!response.ok) throw { status: response.status, body: parsed };
    return parsed;
  }

  function node(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  }

  function shortTime(iso) {
    const when = iso ? new Date(iso) : new Date();
    return when.toLocaleTimeString(T === TEXTS.ru ? "ru" : "en", {
      hour: "2-digit",
      minute: "2-digit",
    });
  }

  // --- the DOM, inside a shadow root ---------------------------------------------------------

  const STYLE = `
    :host{all:initial}
    *{box-sizing:border-box}
    .root{position:fixed;bottom:20px;right:20px;z-index:2147483000;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2433}
    .root.left{right:auto;left:20px}
    .launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 6px 20px rgba(20,30,60,.25);display:grid;place-items:center;position:relative}
    .launcher svg{width:26px;height:26px;fill:currentColor}
    .launcher .i-down,.launcher.open .i-chat{display:none}.launcher.open .i-down{display:block}
    .launcher:focus-visible,.send:focus-visible,.x:focus-visible{outline:3px solid #1d2433;outline-offset:2px}
    .dot{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#d03050;color:#fff;font-size:12px;font-weight:700;display:grid;place-items:center;padding:0 5px}
    .panel{position:absolute;bottom:70px;right:0;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 110px);background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(20,30,60,.25);display:flex;flex-direction:column;overflow:hidden}
    .left .panel{right:auto;left:0}
    [hidden]{display:none!important}
    header{background:var(--c);color:#fff;padding:14px 16px;display:flex;align-items:center;gap:10px}
    header .t{flex:1;min-width:0}
    header strong{display:block;font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
    header small{display:block;opacity:.85;font-size:12px}
    .x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 6px;border-radius:6px}
    .status{background:#fff7e6;color:#8a5a00;font-size:12px;padding:4px 12px;text-align:center}
    .log{flex:1;overflow-y:auto;padding:12px;margin:0;list-style:none;display:flex;flex-direction:column;gap:6px;background:#f5f6fa}
    .m{display:flex}.m.me{justify-content:flex-end}
    .b{max-width:80%;padding:7px 10px 4px;border-radius:14px;background:#fff;border:1px solid #e3e6ee}
    .me .b{background:var(--c);border-color:var(--c);color:#fff;border-bottom-right-radius:4px}
    .op .b{border-bottom-left-radius:4px}
    .body{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
    .meta{display:flex;gap:6px;justify-content:flex-end;align-items:center;font-size:11px;opacity:.75;margin-top:2px}
    .who{margin-right:auto;font-weight:600}
    .ticks{font-weight:700;letter-spacing:-.2em;min-width:1em}
    .ticks.read{opacity:1}
    .m.pending .b{opacity:.7}.m.failed .b{background:#fdecef;border-color:#d03050;color:#d03050;cursor:pointer}
    .note{align-self:center;font-size:12px;color:#6b7385;background:#eceff6;border-radius:20px;padding:2px 10px}
    .typing{font-size:12px;color:#6b7385;font-style:italic;padding:2px 14px 4px;background:#f5f6fa;margin:0}
    form{display:flex;gap:8px;padding:10px;border-top:1px solid #e3e6ee;background:#fff;margin:0}
    textarea{flex:1;resize:none;border:1px solid #e3e6ee;border-radius:10px;padding:8px 10px;font:inherit;color:inherit;height:40px;max-height:120px;background:#fff}
    textarea:focus{outline:2px solid var(--c);outline-offset:-1px;border-color:transparent}
    .send{border:0;border-radius:10px;background:var(--c);color:#fff;font:inherit;font-weight:600;padding:0 14px;cursor:pointer}
    .err{color:#d03050;font-size:12px;margin:0;padding:0 12px 8px;background:#fff}
    @media (max-width:480px){.panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0}}
  `;

  const ICON_CHAT =
    '<svg class="i-chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  const ICON_DOWN =
    '<svg class="i-down" viewBox="0 0 24 24" aria-hidden="true"><path d="M5.3 8.3a1 1 0 0 1 1.4 0L12 13.6l5.3-5.3a1 1 0 1 1 1.4 1.4l-6 6a1 1 0 0 1-1.4 0l-6-6a1 1 0 0 1 0-1.4z"/></svg>';

  const host = document.createElement("div");
  host.id = "messenger-widget";
  const shadow = host.attachShadow({ mode: "open" });
  const ui = {};

  /** The fixed skeleton: static markup only; every text below is set with textContent. */
  function build() {
    const style = document.createElement("style");
    style.textContent = STYLE;
    const root = node("div", "root");
    root.innerHTML = `
      <div class="panel" role="dialog" hidden>
        <header><div class="t"><strong></strong><small></small></div><button class="x" type="button">×</button></header>
        <div class="status" hidden></div>
        <ol class="log" aria-live="polite"></ol>
        <p class="typing" hidden></p>
        <form><textarea rows="1"${script.dataset.bodyMax ? ` maxlength="${BODY_MAX}"` : ""}></textarea><button class="send" type="submit"></button></form>
        <p class="err" role="alert" hidden></p>
      </div>
      <button class="launcher" type="button" aria-expanded="false">${ICON_CHAT}${ICON_DOWN}<span class="dot" hidden></span></button>`;
    shadow.append(style, root);
    const pick = (selector) => root.querySelector(selector);
    Object.assign(ui, {
      root,
      panel: pick(".panel"),
      title: pick("header strong"),
      subtitle: pick("header small"),
      close: pick(".x"),
      status: pick(".status"),
      log: pick(".log"),
      typing: pick(".typing"),
      form: pick("form"),
      input: pick("textarea"),
      send: pick(".send"),
      error: pick(".err"),
      launcher: pick(".launcher"),
      dot: pick(".dot"),
    });
    ui.launcher.addEventListener("click", () => setOpen(!state.open));
    ui.close.addEventListener("click", () => setOpen(false));
    ui.form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    ui.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
      if (event.key === "Escape") setOpen(false);
    });
    ui.input.addEventListener("input", onInput);
    ui.input.addEventListener("blur", stopTyping);
    ui.log.addEventListener("click", (event) => {
      const li = event.target.closest(".m.failed");
      const pending = li && state.pending.get(li.dataset.clientId);
      if (pending) retryFailed(pending);
    });
    document.body.append(host);
    applyTexts();
  }

  function applyTexts() {
    const config = state.config || {};
    ui.root.style.setProperty("--c", /^#[0-9a-f]{3,8}$/i.test(config.color || "") ? config.color : "#3b5bfd");
    ui.root.classList.toggle("left", config.position === "left");
    ui.title.textContent = config.name || T.open;
    ui.subtitle.textContent = (state.conversation && state.conversation.operator_name) || "";
    ui.close.setAttribute("aria-label", T.close);
    ui.launcher.setAttribute("aria-label", T.open);
    ui.panel.setAttribute("aria-label", config.name || T.open);
    ui.input.placeholder = T.placeholder;
    ui.input.setAttribute("aria-label", T.placeholder);
    ui.send.textContent = T.send;
    ui.typing.textContent = T.typing;
  }

  function setOpen(open) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    ui.launcher.classList.toggle("open", open);
    if (open) {
      state.unseen = 0;
      renderDot();
      scrollToBottom();
      ui.input.focus();
      queueReceipts();
    } else {
      stopTyping();
    }
  }

  function renderDot() {
    ui.dot.hidden = state.unseen === 0;
    ui.dot.textContent = String(state.unseen);
  }

  function showError(text) {
    ui.error.textContent = text || "";
    ui.error.hidden = !text;
  }

  function setStatus(text) {
    ui.status.textContent = text || "";
    ui.status.hidden = !text;
  }

  function scrollToBottom() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function note(text) {
    const li = node("li", "note", text);
    ui.log.append(li);
    return li;
  }

  // --- messages ------------------------------------------------------------------------------

  function messageElement(message, pending) {
    const mine = message.sender_type === "visitor";
    if (message.sender_type === "system") return node("li", "note", message.body);
    const li = node("li", `m ${mine ? "me" : "op"}${pending ? " pending" : ""}`);
    if (message.seq) li.dataset.seq = String(message.seq);
    if (message.client_id) li.dataset.clientId = message.client_id;
    const bubble = node("div", "b");
    const meta = node("div", "meta");
    if (!mine) meta.append(node("span", "who", message.sender_name || T.operator));
    meta.append(node("span", "time", shortTime(message.created_at)));
    if (mine) meta.append(node("span", "ticks"));
    bubble.append(node("p", "body", message.body), meta);
    li.append(bubble);
    return li;
  }

  /** Keep messages in seq order, each once (the socket, resume, SSE and HTTP may overlap). */
  function addMessage(message) {
    if (!state.conversation || message.conversation_id !== state.conversation.id) return false;
    const pending = message.client_id && state.pending.get(message.client_id);
    if (pending) {
      clearTimeout(pending.timer);
      pending.li.remove();
      state.pending.delete(message.client_id);
      pump();
    }
    if (!message.seq || state.seqs.has(message.seq)) return false;
    const li = messageElement(message, false);
    state.seqs.set(message.seq, li);
    const later = [...state.seqs.keys()].filter((s) => s > message.seq).sort((a, b) => a - b);
    const anchor = later.length ? state.seqs.get(later[0]) : ui.log.querySelector(".m.pending");
    ui.log.insertBefore(li, anchor || null);
    // A jump in the sequence: signals were lost on the way (Redis was away, say).
    const gap = state.newestSeq && message.seq > state.newestSeq + 1;
    state.newestSeq = Math.max(state.newestSeq, message.seq);
    if (message.sender_type !== "visitor") {
      state.newestOperatorSeq = Math.max(state.newestOperatorSeq, message.seq);
    }
    renderTicks(li);
    if (gap) resume(); // fetch what lies in between
    return true;
  }

  /** The last seq before the first hole in what is shown: where a catch-up starts. */
  function heldSeq() {
    let seq = 0;
    while (state.seqs.has(seq + 1)) seq += 1;
    return seq;
  }

  function resume(after = heldSeq()) {
    const conversation = state.conversation;
    if (conversation) socketSend({ type: "resume", conversation_id: conversation.id, after });
  }

  /** One tick: an operator's screen has it; two: an operator has read it. */
  function renderTicks(only) {
    const conversation = state.conversation;
    if (!conversation) return;
    const items = only ? [only] : ui.log.querySelectorAll(".m.me[data-seq]");
    for (const li of items) {
      const ticks = li.querySelector(".ticks");
      const seq = Number(li.dataset.seq);
      if (!ticks || !seq) continue;
      const read = seq <= (conversation.operator_read_seq || 0);
      const delivered = read || seq <= (conversation.operator_delivered_seq || 0);
      ticks.textContent = read ? "✓✓" : delivered ? "✓" : "";
      ticks.className = `ticks${read ? " read" : ""}`;
      ticks.title = read ? T.read : delivered ? T.delivered : "";
      ticks.setAttribute("aria-label", ticks.title);
    }
  }

  function onMessage(message) {
    if (message.conversation) mergeConversation(message.conversation);
    if (!addMessage(message)) return;
    if (message.sender_type === "operator") {
      hideTyping();
      if (!state.open || document.hidden) {
        state.unseen += 1;
        renderDot();
      }
    }
    scrollToBottom();
    queueReceipts();
  }

  /** Only the fields the widget uses; the rest of a row is not the visitor's business. */
  function mergeConversation(row) {
    if (!state.conversation || row.id !== state.conversation.id) return;
    const wasClosed = state.conversation.status === "closed";
    const keep = [
      "status",
      "last_seq",
      "operator_name",
      "visitor_delivered_seq",
      "visitor_read_seq",
      "operator_delivered_seq",
      "operator_read_seq",
    ];
    for (const field of keep) if (field in row) state.conversation[field] = row[field];
    if ("assignee_name" in row) state.conversation.operator_name = row.assignee_name;
    applyTexts();
    renderTicks();
    if (row.status === "closed" && !wasClosed) note(T.closed);
  }

  // --- receipts and typing -------------------------------------------------------------------

  /** Delivered for every operator message we hold; read only while the visitor can see them.
   * Coalesced: a burst of messages costs one receipt. */
  function queueReceipts() {
    clearTimeout(state.receiptTimer);
    state.receiptTimer = setTimeout(sendReceipts, 200);
  }

  function sendReceipts() {
    const conversation = state.conversation;
    if (!conversation || !state.newestOperatorSeq) return;
    const fields = {};
    if (state.newestOperatorSeq > (conversation.visitor_delivered_seq || 0)) {
      fields.delivered_seq = state.newestOperatorSeq;
    }
    const visible = state.open && !document.hidden;
    if (visible && state.newestOperatorSeq > (conversation.visitor_read_seq || 0)) {
      fields.read_seq = state.newestOperatorSeq;
    }
    if (!Object.keys(fields).length) return;
    // Assume success so the next call does not repeat it; the server never moves them back.
    if (fields.delivered_seq) conversation.visitor_delivered_seq = fields.delivered_seq;
    if (fields.read_seq) conversation.visitor_read_seq = fields.read_seq;
    const frame = { type: "receipts", conversation_id: conversation.id, ...fields };
    if (!socketSend(frame)) {
      call("POST", `/conversations/${conversation.id}/receipts`, fields).catch(() => {});
    }
  }

  function sendTyping(isTyping) {
    const conversation = state.conversation;
    if (!conversation) return;
    const frame = { type: "typing", conversation_id: conversation.id, is_typing: isTyping };
    if (!socketSend(frame)) {
      call("POST", `/conversations/${conversation.id}/typing`, { is_typing: isTyping }).catch(
        () => {},
      );
    }
  }

  function onInput() {
    if (!ui.input.value.trim()) return;
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

  function onTyping(payload) {
    if (payload.side !== "operator") return;
    if (!state.conversation || payload.conversation_id !== state.conversation.id) return;
    clearTimeout(state.typingTimer);
    ui.typing.hidden = !payload.is_typing;
    // No signal for 5 s means the operator stopped, even if "stopped" never arrives.
    if (payload.is_typing) state.typingTimer = setTimeout(hideTyping, TYPING_SHOW_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    ui.typing.hidden = true;
  }

  // --- sending -------------------------------------------------------------------------------

  function submit() {
    const body = ui.input.value.trim();
    if (!body) return;
    if (body.length > BODY_MAX) {
      showError(T.too_long);
      return;
    }
    ui.input.value = "";
    showError("");
    stopTyping();
    const message = {
      client_id: uuid(),
      body,
      sender_type: "visitor",
      created_at: new Date().toISOString(),
    };
    const li = messageElement(message, true);
    li.querySelector(".ticks").textContent = "…";
    li.title = T.sending;
    ui.log.append(li);
    scrollToBottom();
    const pending = { ...message, li, tries: 0, timer: 0, inFlight: false, failed: false };
    state.pending.set(message.client_id, pending);
    pump();
  }

  /** A conversation exists before the first message goes out (one even if sends overlap). */
  async function ensureConversation() {
    if (state.conversation && state.conversation.status !== "closed") return state.conversation;
    if (!state.starting) {
      state.starting = call("POST", "/conversations")
        .then((conversation) => {
          startConversation(conversation);
          return conversation;
        })
        .finally(() => {
          state.starting = null;
        });
    }
    return state.starting;
  }

  function startConversation(conversation) {
    const previous = state.conversation;
    const fresh = !previous || previous.id !== conversation.id;
    if (fresh) {
      // A new conversation numbers its messages from 1 again: the old ones stay on screen as
      // history but leave the seq map (and lose data-seq, so their ticks stay as they are).
      state.seqs.clear();
      state.newestSeq = 0;
      state.newestOperatorSeq = 0;
      for (const li of ui.log.querySelectorAll("[data-seq]")) li.removeAttribute("data-seq");
    }
    state.conversation = conversation;
    applyTexts();
    if (fresh && state.events) {
      state.events.close(); // the event stream is opened for one conversation
      state.events = null;
    }
    connect();
  }

  /** The oldest message that is neither sent nor given up on. */
  function head() {
    for (const pending of state.pending.values()) if (!pending.failed) return pending;
    return null;
  }

  /** Send the head of the queue unless it is already on its way. */
  function pump() {
    const next = head();
    if (!next || next.inFlight) return;
    next.inFlight = true;
    deliver(next);
  }

  /** A tap on a failed message: back into the queue, at its end. */
  function retryFailed(pending) {
    state.pending.delete(pending.client_id);
    Object.assign(pending, { failed: false, inFlight: false, tries: 0 });
    pending.li.classList.remove("failed");
    pending.li.title = T.sending;
    pending.li.querySelector(".ticks").textContent = "…";
    ui.log.append(pending.li);
    state.pending.set(pending.client_id, pending);
    showError("");
    pump();
  }

  async function deliver(pending) {
    clearTimeout(pending.timer);
    try {
      const conversation = await ensureConversation();
      pending.conversation_id = conversation.id;
      pending.li.dataset.conversationId = String(conversation.id);
      const frame = {
        type: "message.send",
        conversation_id: conversation.id,
        body: pending.body,
        client_id: pending.client_id,
      };
      if (socketSend(frame)) {
        pending.timer = setTimeout(() => viaHttp(pending), ACK_WAIT_MS);
      } else {
        await viaHttp(pending);
      }
    } catch (error) {
      retryLater(pending, error);
    }
  }

  async function viaHttp(pending) {
    if (!state.pending.has(pending.client_id)) return;
    try {
      const message = await call("POST", `/conversations/${pending.conversation_id}/messages`, {
        body: pending.body,
        client_id: pending.client_id,
      });
      onMessage(message);
    } catch (error) {
      retryLater(pending, error);
    }
  }

  /** Network trouble: try again later with the same client_id. A 4xx will not get better. */
  function retryLater(pending, error) {
    if (!state.pending.has(pending.client_id)) return;
    const status = error && error.status;
    if (status === 401 || status === 403 || status === 404 || status === 422) {
      failPending(pending, error);
      return;
    }
    pending.tries += 1;
    pending.li.title = T.retrying;
    pending.timer = setTimeout(() => deliver(pending), Math.min(30000, 1000 * 2 ** pending.tries));
  }

  function failPending(pending, error) {
    clearTimeout(pending.timer);
    Object.assign(pending, { failed: true, inFlight: false });
    pending.li.classList.add("failed");
    pending.li.title = T.failed;
    pending.li.querySelector(".ticks").textContent = "!";
    const detail = error && error.body && error.body.detail;
    const text = typeof detail === "string" ? detail : detail ? Object.values(detail).flat().join(" ") : "";
    showError(text || T.failed);
    pump(); // the next message need not wait for this one
  }

  // --- live connection: WebSocket, else SSE --------------------------------------------------

  function socketSend(frame) {
    const socket = state.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** A one-time ticket for the next socket or event stream: the token stays out of URLs. */
  async function ticket() {
    return (await call("POST", "/tickets")).ticket;
  }

  async function connect() {
    if (!state.conversation || state.socket || state.events || state.connecting) return;
    if (state.socketFails >= SOCKET_FAILS_BEFORE_SSE) {
      connectEvents();
      return;
    }
    const url = new URL(`${API}/ws/widget/`);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    state.connecting = true;
    try {
      url.searchParams.set("ticket", await ticket());
    } catch (error) {
      state.connecting = false;
      if (error && (error.status === 401 || error.status === 403)) setStatus(T.unavailable);
      else setTimeout(connect, reconnectDelay(false));
      return;
    }
    state.connecting = false;
    if (state.socket || state.events) return;
    let opened = false;
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.addEventListener("open", () => {
      opened = true;
      state.socketFails = 0;
      setStatus("");
      clearInterval(state.pingTimer);
      state.pingTimer = setInterval(() => socketSend({ type: "ping", t: Date.now() }), PING_MS);
      onConnected();
    });
    socket.addEventListener("message", (event) => onFrame(event.data));
    socket.addEventListener("close", (event) => {
      clearInterval(state.pingTimer);
      state.socket = null;
      if (!opened) state.socketFails += 1;
      if (event.code === 4401 || event.code === 4403) {
        setStatus(T.unavailable); // the token or the site is refused: retrying will not help
        return;
      }
      setStatus(T.offline);
      setTimeout(connect, reconnectDelay(opened));
    });
  }

  /** Soon after a working socket drops; with exponential backoff (and jitter, so a restarted
   * server is not hit by every visitor at once) while it keeps failing; at once when the next
   * try is the switch to SSE. */
  function reconnectDelay(opened) {
    if (opened) return 500;
    if (state.socketFails >= SOCKET_FAILS_BEFORE_SSE) return 0;
    const base = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (state.socketFails - 1));
    return base * (0.5 + Math.random() / 2);
  }

  /** Fetch what was missed, then re-send anything still pending. */
  function onConnected() {
    const conversation = state.conversation;
    if (!conversation) return;
    resume();
    resendHead();
    queueReceipts();
  }

  /** A new connection: the message on its way may have been lost with the old one. */
  function resendHead() {
    const next = head();
    if (next && next.inFlight) deliver(next);
    else pump();
  }

  function onFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    handle(frame.type, frame.payload, frame);
  }

  function handle(type, payload, frame = {}) {
    if (type === "message.created") onMessage(payload);
    else if (type === "message.ack") onMessage(frame.payload);
    else if (type === "messages") onResumed(frame);
    else if (type === "resync") resume(); // the server lost events for us (Redis was away)
    else if (type === "message.receipts") onReceipts(payload);
    else if (type === "typing") onTyping(payload);
    else if (type === "conversation.updated") mergeConversation(payload);
    else if (type === "error") onError(frame);
  }

  function onResumed(frame) {
    const messages = frame.payload || [];
    for (const message of messages) onMessage(message);
    if (frame.receipts) onReceipts(frame.receipts); // receipts sent before this socket joined
    // The server answers at most 100 at a time: ask again, after this page, until a short one.
    if (messages.length >= 100) resume(messages[99].seq);
  }

  function onReceipts(payload) {
    if (!state.conversation || payload.conversation_id !== state.conversation.id) return;
    for (const [field, value] of Object.entries(payload)) {
      if (field.endsWith("_seq")) {
        state.conversation[field] = Math.max(state.conversation[field] || 0, value || 0);
      }
    }
    renderTicks();
  }

  function onError(frame) {
    const pending = frame.ref && state.pending.get(frame.ref);
    if (!pending) return;
    if (frame.code === "invalid" || frame.code === "not_found") {
      failPending(pending, { body: { detail: frame.detail } });
    } else {
      viaHttp(pending);
    }
  }

  async function connectEvents() {
    const conversation = state.conversation;
    const url = new URL(`${API}/widget/v1/events`);
    try {
      url.searchParams.set("ticket", await ticket());
    } catch (error) {
      if (error && (error.status === 401 || error.status === 403)) setStatus(T.unavailable);
      else setTimeout(connectEvents, BACKOFF_MAX_MS / 10);
      return;
    }
    if (state.events) return;
    url.searchParams.set("conversation_id", String(conversation.id));
    url.searchParams.set("after", String(heldSeq()));
    const events = new EventSource(url);
    state.events = events;
    const names = ["message.created", "message.receipts", "typing", "conversation.updated"];
    for (const name of names) {
      events.addEventListener(name, (event) => {
        try {
          handle(name, JSON.parse(event.data));
        } catch {
          // a malformed event is skipped; the next resume fills any gap
        }
      });
    }
    events.addEventListener("open", () => {
      setStatus("");
      resendHead();
    });
    // Its ticket is spent, so the browser's own retry would be refused: reconnect with a new
    // ticket and the last seq we hold.
    events.addEventListener("error", () => {
      setStatus(T.offline);
      events.close();
      if (state.events === events) state.events = null;
      setTimeout(connectEvents, 1000);
    });
  }

  // --- start ---------------------------------------------------------------------------------

  async function loadHistory(conversation) {
    const data = await call("GET", `/conversations/${conversation.id}/messages`);
    mergeConversation(data.conversation);
    for (const message of data.messages) addMessage(message);
  }

  async function start() {
    if (!KEY) return;
    let session;
    try {
      session = await call("POST", `/inboxes/${encodeURIComponent(KEY)}/sessions`, {
        token: state.token || null,
        page_url: location.href,
      });
    } catch {
      return; // not allowed on this site, or the service is down: show nothing at all
    }
    state.token = session.token;
    storageSet(TOKEN_KEY, session.token);
    state.config = session.inbox || {};
    T = TEXTS[state.config.language] || T;
    build();
    if (state.config.greeting) note(state.config.greeting).classList.add("greeting");
    if (session.conversation) {
      state.conversation = session.conversation;
      applyTexts();
      try {
        await loadHistory(session.conversation);
      } catch {
        // the socket's resume below fetches it too
      }
      connect();
      queueReceipts();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.open) {
      state.unseen = 0;
      renderDot();
      queueReceipts();
    }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
