/**
 * The session: starting (a session for the visitor's token, the inbox's settings, the open
 * conversation's history, then the chat or the offline form and the live connection), starting
 * again when the token expires or the visitor is identified as someone else, and the site's
 * page's commands (open, close, identify, the token).
 */
import type { Identity, ToFrame } from "@shared/protocol";
import { auth, call, detailText } from "./api";
import { live } from "./connection";
import { h } from "./dom";
import { KEY, embedded, errorText, pageUrl, site, t, toPage } from "./env";
import { ACCEPT } from "./files";
import { applyTheme, renderGreeting, renderHeader } from "./header";
import { loadHistory } from "./log";
import { resetLog } from "./messages";
import { showOffline } from "./offline";
import { closePicker } from "./picker";
import { receipts } from "./receipts";
import { after, app, attachButton, fileInput, input, setComposerEnabled, setState, toBottom } from "./skeleton";
import { state, store } from "./state";
import type { Session } from "./types";

const parentQueue: ToFrame[] = [];
let booted = false;

/** Start once the page has answered with the visitor's token (an older loader never does:
 * then after a moment, with what this frame has). */
export function boot(): void {
  if (booted) return;
  booted = true;
  start();
}

function showError(text: string): void {
  setState("error");
  setComposerEnabled(false);
  after.textContent = "";
  after.appendChild(h("div", { class: "center" }, h("p", null, text || t.unavailable),
    h("button", { type: "button", class: "btn", onclick: () => start() }, t.try_again)));
  if (!state.sessionReady) toPage({ m: "ready" }); // let the site show the message
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
  state.contactId = session.contact.id;
  state.cfg = session.inbox;
  state.availability = session.availability;
  resetLog(true);
  state.conv = session.conversation;
  applyTheme();
  renderHeader();
  try {
    if (state.conv) await loadHistory();
  } catch (e) {
    return showError(detailText(e));
  }
  if (!state.conv && !state.availability.online) {
    showOffline();
  } else {
    setState("chat");
    renderGreeting();
    setComposerEnabled(true);
    const kinds = state.cfg.attachments.kinds.map((kind) => ACCEPT[kind]).filter(Boolean);
    if (kinds.length) fileInput.accept = kinds.join(",");
    attachButton.hidden = !kinds.length;
  }
  live.start();
  const first = !state.sessionReady;
  state.sessionReady = true;
  if (first) toPage({ m: "ready" });
  parentQueue.splice(0).forEach(onParent);
  if (state.isOpen) focusFirst();
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
    if (result.contact.id !== state.contactId) await start(); // a verified user: their own history
  } catch (e) {
    console.warn("Messenger.identify:", detailText(e) || e);
  }
}

function onParent(message: ToFrame): void {
  if (message.m === "open") {
    state.isOpen = true;
    focusFirst();
    receipts();
  } else if (message.m === "close") {
    state.isOpen = false;
    closePicker(false);
  } else if (message.m === "identify") {
    if (!state.sessionReady) parentQueue.push(message);
    else identify(message.d || {});
  } else if (message.m === "token") {
    if (typeof message.d === "string") state.pageToken = message.d;
    boot();
  }
}

addEventListener("message", (event: MessageEvent) => {
  if (!embedded || event.source !== window.parent || !site || event.origin !== site) return;
  const message = event.data as ToFrame;
  if (message && typeof message === "object" && typeof message.m === "string") onParent(message);
});
