/* Messenger panel: the one operator WebSocket of a tab, the "Dialogs" unread badge, sounds and
 * browser notifications, the operator's status in the sidebar and routing alerts as toasts.
 * Loaded by panel_base.html on every panel page, so the badge stays right on settings pages too;
 * the Dialogs page (dialogs.js) listens to the same socket through `window.MessengerPanel`.
 * Plain ES2020, no build step. */
(() => {
  "use strict";

  const script = document.currentScript;
  const data = script ? script.dataset : {};
  const PING_MS = 25000; // the server closes sockets idle for 70 s
  const BACKOFF_MAX_MS = 30000;
  const CLOSE_UNAUTHORISED = 4401;
  const CLOSE_SESSION_ENDED = 4001;
  const VISIBLE_KEY = "messenger:visible-tab";
  const VISIBLE_FRESH_MS = 6000;

  const T = (() => {
    try {
      return JSON.parse(document.getElementById("panel-i18n").textContent);
    } catch {
      return {};
    }
  })();
  const STATUSES = ["online", "away", "busy", "offline"];

  const me = {
    id: Number(data.userId || 0),
    name: data.userName || "",
    staff: data.staff === "1",
    muted: data.muted === "1",
    soundWhenVisible: data.soundVisible === "1",
  };
  const listeners = new Map();
  const unread = new Map(); // conversation id -> unread count, every visible open dialog
  let socket = null;
  let pingTimer = 0;
  let retries = 0;
  let stopped = false;
  // dialogs.js sets this: true while the operator is looking at that conversation, so an
  // arriving message does not bump the counter only to be read a moment later.
  let isReading = () => false;

  // --- small helpers -------------------------------------------------------------------------

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  /** JSON request to the panel API; resolves to the parsed body, rejects with {status, body}. */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["Content-Type"] = "application/json";
      headers["X-CSRFToken"] = cookie("csrftoken");
    }
    const response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = await response.json().catch(() => null);
    if (!response.ok) {
      throw { status: response.status, body: parsed };
    }
    return parsed;
  }

  /** A file to an upload endpoint (multipart, field `file`); same contract as `api`. */
  async function upload(path, file, filename) {
    const form = new FormData();
    form.append("file", file, filename || file.name || "file");
    const response = await fetch(`/api/v1${path}`, {
      method: "POST",
      headers: { Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
      credentials: "same-origin",
      body: form,
    });
    const parsed = await response.json().catch(() => null);
    if (!response.ok) {
      throw { status: response.status, body: parsed };
    }
    return parsed;
  }

  function on(type, handler) {
    if (!listeners.has(type)) listeners.set(type, new Set());
    listeners.get(type).add(handler);
    return () => listeners.get(type).delete(handler);
  }

  function emit(type, payload, frame) {
    for (const handler of listeners.get(type) || []) {
      try {
        handler(payload, frame);
      } catch (error) {
        console.error(error); // one broken listener must not stop the others
      }
    }
  }

  // --- socket --------------------------------------------------------------------------------

  function socketUrl() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/ws/panel/`;
  }

  function connect() {
    if (stopped) return;
    socket = new WebSocket(socketUrl());
    socket.addEventListener("open", onOpen);
    socket.addEventListener("message", onFrame);
    socket.addEventListener("close", onClose);
  }

  function onOpen() {
    retries = 0;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => send({ type: "ping", t: Date.now() }), PING_MS);
    refreshUnread(); // events may have been missed while we were away
    emit("socket.open");
  }

  function onClose(event) {
    clearInterval(pingTimer);
    socket = null;
    emit("socket.close", event.code);
    if (event.code === CLOSE_SESSION_ENDED || event.code === CLOSE_UNAUTHORISED) {
      // Deactivated or logged out elsewhere: reconnecting would fail forever.
      stopped = true;
      location.assign("/login/");
      return;
    }
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const delay = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** retries) * (0.5 + Math.random() / 2);
    retries += 1;
    setTimeout(connect, delay);
  }

  function onFrame(event) {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== "string") return;
    if (frame.type === "message.created" && seenBefore(frame.payload)) return;
    emit(frame.type, frame.payload, frame);
  }

  const seen = new Set();
  /** A user in two of an event's groups (a supervisor who also handles the dialog) gets the
   * same message twice; counting it twice would be wrong. */
  function seenBefore(message) {
    const key = `${message && message.conversation_id}:${message && message.seq}`;
    if (seen.has(key)) return true;
    seen.add(key);
    if (seen.size > 2000) seen.delete(seen.values().next().value); // oldest first
    return false;
  }

  /** Send a frame if the socket is open; false tells the caller to use HTTP instead. */
  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  function connected() {
    return Boolean(socket && socket.readyState === WebSocket.OPEN);
  }

  /** Receipts over the socket, or over HTTP when it is down; never throws. */
  function receipts(conversationId, fields) {
    if (send({ type: "receipts", conversation_id: conversationId, ...fields })) return;
    api("POST", `/conversations/${conversationId}/receipts`, fields).catch(() => {});
  }

  // --- unread badge --------------------------------------------------------------------------

  const badge = document.getElementById("dialogs-badge");

  function dialogsWithUnread() {
    let count = 0;
    for (const n of unread.values()) if (n > 0) count += 1;
    return count;
  }

  const baseTitle = document.title;

  function renderBadge() {
    const count = dialogsWithUnread();
    if (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
    }
    // The count in the tab's title is what an operator sees from another tab.
    document.title = count ? `(${count}) ${baseTitle}` : baseTitle;
    emit("unread", unread);
  }

  function mergeUnread(summary, { replace = false } = {}) {
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
  function refreshUnread() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      api("GET", "/conversations/unread")
        .then((summary) => mergeUnread(summary, { replace: true }))
        .catch(() => {});
    }, 150);
  }

  /** Whether this user still sees the conversation (operators: theirs and unassigned). */
  function visibleToMe(row) {
    const assignee = row.assignee_id ?? null;
    return me.staff || assignee === null || assignee === me.id;
  }

  // --- dialogs handed to me ------------------------------------------------------------------

  // conversation id -> the assignee this tab last saw, to tell "newly assigned to me" apart.
  const assignees = new Map();

  /** Remember rows the page has seen (dialogs.js passes the loaded list). */
  function track(row) {
    if (row && row.id) assignees.set(row.id, row.assignee_id ?? null);
  }

  /** A dialog routed, transferred or escalated to me that I have not opened yet: it counts as
   * new, like a new dialog (sound, notification; the badge comes with its unread messages). */
  function checkAssigned(row) {
    const before = assignees.get(row.id);
    track(row);
    if (row.assignee_id !== me.id || before === me.id) return;
    if (row.status === "closed" || row.opened_at || isReading(row.id)) return;
    emit("assigned", row);
    notify("assigned", row);
  }

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
  on("conversation.updated", (row) => {
    checkAssigned(row);
    if (row.status === "closed" || !visibleToMe(row)) {
      // Closed dialogs and dialogs taken by someone else no longer count.
      if (unread.delete(row.id)) renderBadge();
    } else if (!unread.has(row.id)) {
      refreshUnread(); // a dialog handed to me may come with unread messages
    }
  });

  // --- sound and notifications ---------------------------------------------------------------

  let audio = null;
  const chimedAt = new Map(); // conversation id -> when this tab last chimed for it

  /** A short two-note chime made with WebAudio (no audio file to load). */
  function chime() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    const start = audio.currentTime + 0.01;
    [880, 1320].forEach((frequency, index) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + index * 0.12;
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + 0.3);
    });
  }

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch {
      // private mode or storage disabled: tabs just do not coordinate
    }
  }

  /** True for the first tab to claim `key` (all tabs get the same event; one should chime). */
  function claim(key) {
    const full = `messenger:notified:${key}`;
    if (storageGet(full)) return false;
    storageSet(full, String(Date.now()));
    setTimeout(() => {
      try {
        localStorage.removeItem(full);
      } catch {
        // ignore
      }
    }, 30000);
    return true;
  }

  const tabId = Math.random().toString(36).slice(2);

  /** Another panel tab of this browser is in front: the operator sees the badge there. */
  function anotherTabVisible() {
    const [owner, stamp] = (storageGet(VISIBLE_KEY) || "").split(":");
    return owner !== tabId && Date.now() - Number(stamp || 0) < VISIBLE_FRESH_MS;
  }

  function markVisible() {
    if (!document.hidden) storageSet(VISIBLE_KEY, `${tabId}:${Date.now()}`);
  }
  setInterval(markVisible, 2000);
  document.addEventListener("visibilitychange", markVisible);
  markVisible();

  function contactName(contact, id) {
    return (contact && contact.name) || `${data.tVisitor || "Visitor"} #${id}`;
  }

  /** What a message says, for a notification: its text, or the names of its files. */
  function messageText(message) {
    if (message.body) return message.body;
    const names = (message.attachments || []).map((file) => `📎 ${file.name}`);
    return names.join(" ") || "";
  }

  const NEW_DIALOG_WAIT_MS = 5000;
  // conversation id -> timer of a new dialog's notification, waiting for its first message
  const newDialogs = new Map();
  const notifiedAt = new Map(); // conversation id -> when this tab last showed a notification

  /** One chime per conversation within a few seconds (a new dialog and its first message). */
  function chimeFor(id) {
    if (Date.now() - (chimedAt.get(id) || 0) > 3000) chime();
    chimedAt.set(id, Date.now());
  }

  function showNotification(title, conversation, id, body) {
    notifiedAt.set(id, Date.now());
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    // Notification text is plain text by specification: no markup is interpreted.
    const shown = new Notification(`${title || "Messenger"}: ${contactName(conversation.contact, id)}`, {
      body: (body || "").slice(0, 140),
      tag: `messenger-${id}`,
    });
    shown.addEventListener("click", () => {
      window.focus();
      location.assign(`/dialogs/#${id}`);
      shown.close();
    });
  }

  function notify(kind, payload) {
    if (me.muted) return;
    const isRow = kind !== "message";
    const conversation = isRow ? payload : payload.conversation || {};
    const id = conversation.id || payload.conversation_id;
    if (!visibleToMe(conversation)) return;
    const key = { conversation: `c${id}`, assigned: `a${id}` }[kind] || `m${id}:${payload.seq}`;
    if (!document.hidden) {
      // The operator is looking at this tab: no notification, but a new chat may chime.
      if (isRow && me.soundWhenVisible && claim(key)) chimeFor(id);
      return;
    }
    if (anotherTabVisible()) return;
    // The first message of a new dialog this tab is holding a notification for: one
    // notification says both (another tab may claim the message; then that one does).
    const waiting = isRow ? null : newDialogs.get(id);
    if (waiting) {
      clearTimeout(waiting.timer);
      newDialogs.delete(id);
    }
    if (!claim(key)) return;
    chimeFor(id);
    const newDialogTitle = kind === "assigned" ? T.assigned_to_you || data.tNewDialog : data.tNewDialog;
    if (isRow) {
      const preview = conversation.last_message_preview;
      if (preview) {
        showNotification(newDialogTitle, conversation, id, preview);
      } else if (!newDialogs.has(id) && Date.now() - (notifiedAt.get(id) || 0) > NEW_DIALOG_WAIT_MS) {
        // A new dialog comes just before its first message: one notification with the
        // message in it, not an empty one and then another.
        const timer = setTimeout(() => {
          newDialogs.delete(id);
          showNotification(newDialogTitle, conversation, id, "");
        }, NEW_DIALOG_WAIT_MS);
        newDialogs.set(id, { timer, title: newDialogTitle });
      }
      return;
    }
    const title = waiting ? waiting.title : data.tNewMessage;
    showNotification(title, conversation, id, messageText(payload));
  }

  // --- sidebar controls: mute and "Enable notifications" -------------------------------------

  const muteButton = document.getElementById("notify-mute");
  const visibleSoundButton = document.getElementById("notify-visible");
  const enableButton = document.getElementById("notify-enable");

  function renderControls() {
    if (muteButton) {
      muteButton.setAttribute("aria-checked", me.muted ? "false" : "true");
      muteButton.textContent = me.muted ? data.tUnmute || "Sound off" : data.tMute || "Sound on";
      muteButton.classList.toggle("off", me.muted);
    }
    if (visibleSoundButton) {
      visibleSoundButton.setAttribute("aria-checked", me.soundWhenVisible ? "true" : "false");
      visibleSoundButton.classList.toggle("off", !me.soundWhenVisible);
    }
    if (enableButton) {
      // Ask only when the operator clicks, and offer the button only while it can help.
      enableButton.hidden = !("Notification" in window) || Notification.permission !== "default";
    }
  }

  muteButton?.addEventListener("click", async () => {
    const wanted = !me.muted;
    me.muted = wanted; // optimistic; undone below if the server refuses
    renderControls();
    try {
      const result = await api("PATCH", "/me", { notifications_muted: wanted });
      me.muted = Boolean(result.notifications_muted);
    } catch {
      me.muted = !wanted;
    }
    renderControls();
  });

  visibleSoundButton?.addEventListener("click", async () => {
    const wanted = !me.soundWhenVisible;
    me.soundWhenVisible = wanted; // optimistic; undone below if the server refuses
    renderControls();
    try {
      const result = await api("PATCH", "/me", { sound_when_visible: wanted });
      me.soundWhenVisible = Boolean(result.sound_when_visible);
    } catch {
      me.soundWhenVisible = !wanted;
    }
    renderControls();
  });

  enableButton?.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      renderControls();
    }
    // A click is a user gesture: a good moment to unlock audio for later chimes.
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context && !audio) audio = new Context();
  });

  document.addEventListener("click", () => audio?.state === "suspended" && audio.resume(), {
    once: true,
  });

  renderControls();

  // --- my status: online / away / busy / offline ---------------------------------------------

  const statusBox = document.getElementById("my-status-box");
  const statusSelect = document.getElementById("my-status");
  me.status = STATUSES.includes(statusBox?.dataset.status) ? statusBox.dataset.status : "offline";

  function renderStatus() {
    if (!statusBox || !statusSelect) return;
    statusBox.dataset.status = me.status;
    statusSelect.value = me.status;
    statusBox.querySelector(".status-dot")?.setAttribute("title", T[`status_${me.status}`] || "");
  }

  statusSelect?.addEventListener("change", async () => {
    const wanted = statusSelect.value;
    const before = me.status;
    me.status = wanted; // optimistic; undone below if the server refuses
    renderStatus();
    statusSelect.disabled = true;
    try {
      const result = await api("POST", "/routing/status", { status: wanted });
      me.status = STATUSES.includes(result.status) ? result.status : wanted;
    } catch {
      me.status = before;
      toast(T.status_failed, { kind: "bad" });
    } finally {
      statusSelect.disabled = false;
    }
    renderStatus();
  });

  // My tabs, and supervisors, hear every change; the server sets me online when I connect.
  on("operator.status", (payload) => {
    if (!payload || payload.user_id !== me.id || !STATUSES.includes(payload.status)) return;
    me.status = payload.status;
    renderStatus();
  });
  renderStatus();

  // --- toasts: routing alerts for supervisors and admins --------------------------------------

  const toasts = document.getElementById("panel-toasts");
  const TOASTS_MAX = 4;

  /** A small card in the corner; text only. `href` adds a link, `key` replaces a twin. */
  function toast(text, { title = "", href = "", linkText = "", kind = "", key = "" } = {}) {
    if (!toasts || !text) return null;
    if (key) toasts.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
    const card = document.createElement("div");
    card.className = `toast${kind ? ` ${kind}` : ""}`;
    card.setAttribute("role", kind === "bad" ? "alert" : "status");
    if (key) card.dataset.key = key;
    const body = document.createElement("div");
    body.className = "toast-body";
    if (title) {
      const heading = document.createElement("strong");
      heading.textContent = title;
      body.append(heading);
    }
    const line = document.createElement("p");
    line.textContent = text;
    body.append(line);
    if (href) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = linkText || href;
      link.addEventListener("click", () => card.remove());
      body.append(link);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.textContent = "×";
    close.title = T.dismiss || "Dismiss";
    close.setAttribute("aria-label", close.title);
    close.addEventListener("click", () => card.remove());
    card.append(body, close);
    toasts.append(card);
    while (toasts.children.length > TOASTS_MAX) toasts.firstElementChild.remove();
    if (kind === "bad") setTimeout(() => card.remove(), 8000);
    return card;
  }

  on("routing.alert", (payload) => {
    if (!payload || !payload.message) return;
    const id = Number(payload.conversation_id) || 0;
    toast(payload.message, {
      title: T.routing_alert,
      href: id ? `/dialogs/#${id}` : "",
      linkText: T.open_dialog,
      key: id ? `alert-${id}` : "",
    });
    if (!me.muted && claim(`r${id}:${Math.floor(Date.now() / 30000)}`)) chime();
  });

  // --- public surface for dialogs.js ---------------------------------------------------------

  window.MessengerPanel = {
    me,
    api,
    upload,
    on,
    toast,
    track,
    send,
    connected,
    receipts,
    unread,
    renderBadge,
    mergeUnread,
    refreshUnread,
    visibleToMe,
    setReadingCheck(check) {
      isReading = check;
    },
  };

  refreshUnread();
  connect();

  // Read-only fields to copy (the install snippet) select themselves on click; an inline
  // onclick attribute would be refused by the page's Content-Security-Policy.
  document.addEventListener("click", (event) => {
    const field = event.target.closest && event.target.closest("[data-select-on-click]");
    if (field && typeof field.select === "function") field.select();
  });
})();
