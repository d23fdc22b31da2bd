/**
 * Messages being sent: each keeps its client id through every try (the server stores it once),
 * goes over the socket and falls back to HTTP when no ack comes in time, retries with backoff,
 * and over a rate limit is held and sent again, one at a time in the order typed.
 */
import { ApiError, call, detailText } from "./api";
import { handlers, live } from "./connection";
import { ensureConversation } from "./conversation";
import { append, h, icon } from "./dom";
import { ACK_WAIT_MS, t } from "./env";
import { held, pending, type Pending } from "./state";
import type { Message } from "./types";

let heldGap = 1000;

export function pendingState(p: Pending, state: "sending" | "retrying" | "held" | "failed", reason = ""): void {
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
export function hold(p: Pending, seconds: number): void {
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
export function unhold(p: Pending): void {
  const index = held.indexOf(p);
  if (index < 0) return;
  held.splice(index, 1);
  if (!index && held.length) release(held[0]);
}

/** Into its conversation (started first when there is none); `inTurn`: its held turn came. */
export async function deliver(p: Pending, inTurn = false): Promise<void> {
  try {
    if (!p.convId) p.convId = (await ensureConversation()).id;
  } catch (e) {
    if (e instanceof ApiError && e.status === 429) return hold(p, e.retryAfter);
    return pendingState(p, "failed", detailText(e));
  }
  if (!inTurn && held.length && held[0] !== p) return hold(p, 0); // behind the held ones
  dispatch(p);
}

export function dispatch(p: Pending): void {
  clearTimeout(p.timer);
  if (!pending.has(p.clientId)) return;
  pendingState(p, p.tries >= 2 ? "retrying" : "sending");
  const frame = { type: "message.send", conversation_id: p.convId, body: p.body, client_id: p.clientId, attachment_ids: p.ids };
  if (live.send(frame)) p.timer = window.setTimeout(() => httpSend(p), ACK_WAIT_MS);
  else httpSend(p);
}

export async function httpSend(p: Pending): Promise<void> {
  clearTimeout(p.timer);
  try {
    // The same client id as any earlier try: the server stores the message once.
    const message = await call<Message>("POST", `/conversations/${p.convId}/messages`, { body: p.body, client_id: p.clientId, attachment_ids: p.ids });
    handlers.frame({ type: "message.ack", payload: message }); // as the socket's ack would be
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
