/**
 * The live connection (shared/live.ts: a socket, or the event stream with HTTP for what we
 * send), opened with a one-time ticket. What it hears is handled by realtime.ts, which sets
 * `handlers` as it loads: the modules that send through `live` sit below it, so none of them
 * imports the modules that handle its frames.
 */
import { auth, call } from "./api";
import { lang, site } from "./env";
import { heldSeq, state } from "./state";
import { Live } from "@shared/live";
import type { Frame } from "@shared/protocol";

export const handlers = {
  /** Every (re)connect. */
  open(): void {},
  /** Every frame heard, and each HTTP reply standing in for one (pending.ts). */
  frame(_frame: Frame): void {},
};

/** A one-time ticket for the next socket or stream: the token never goes into a URL. */
async function ticket(): Promise<string> {
  return encodeURIComponent((await call<{ ticket: string }>("POST", "/tickets")).ticket);
}

export const live = new Live({
  socketUrl: async () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/widget/?ticket=${await ticket()}&site=${encodeURIComponent(site)}&lang=${lang}`,
  sseUrl: async () => `/widget/v1/events?ticket=${await ticket()}&site=${encodeURIComponent(site)}${state.conv ? `&conversation_id=${state.conv.id}&after=${heldSeq()}` : ""}`,
  onOpen: () => handlers.open(),
  onFrame: (frame) => handlers.frame(frame),
  onDenied: () => auth.onExpired(),
});
