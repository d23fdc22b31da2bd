/** The one operator WebSocket of a tab (`/ws/panel/`, the shared live client) and the event
 * bus the panel's modules listen on: each frame's `type` goes to its handlers. */

import { Live } from "@shared/live";
import { CLOSE_SESSION_ENDED, CLOSE_UNAUTHORISED, type Frame } from "@shared/protocol";
import type { Handler } from "../types";
import { api } from "./api";

const listeners = new Map<string, Set<Handler>>();

export function on(type: string, handler: Handler): () => void {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type)!.add(handler);
  return () => listeners.get(type)!.delete(handler);
}

export function emit(type: string, payload?: unknown, frame?: Frame): void {
  for (const handler of listeners.get(type) || []) {
    try {
      handler(payload, frame || { type, payload });
    } catch (error) {
      console.error(error); // one broken listener must not stop the others
    }
  }
}

const seen = new Set<string>();
/** A user in two of an event's groups (a supervisor who also handles the dialog) gets the
 * same message twice; counting it twice would be wrong. */
function seenBefore(message: { conversation_id?: number; seq?: number } | null): boolean {
  const key = `${message && message.conversation_id}:${message && message.seq}`;
  if (seen.has(key)) return true;
  seen.add(key);
  if (seen.size > 2000) seen.delete(seen.values().next().value as string); // oldest first
  return false;
}

const live = new Live({
  socketUrl: async () => `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/panel/`,
  backoffMs: 1000,
  // Deactivated or logged out elsewhere: reconnecting would fail forever.
  stopCodes: [CLOSE_SESSION_ENDED, CLOSE_UNAUTHORISED],
  onDenied: () => location.assign("/login/"),
  onOpen: () => emit("socket.open"),
  onClose: (code) => emit("socket.close", code),
  onFrame: (frame) => {
    if (frame.type === "message.created" && seenBefore(frame.payload)) return;
    emit(frame.type, frame.payload, frame);
  },
});

export function connect(): void {
  live.start();
}

/** Send a frame if the socket is open; false tells the caller to use HTTP instead. */
export function send(frame: Frame): boolean {
  return live.send(frame);
}

export function connected(): boolean {
  return live.connected;
}

/** Receipts over the socket, or over HTTP when it is down; never throws. */
export function receipts(conversationId: number, fields: { delivered_seq?: number; read_seq?: number }): void {
  if (send({ type: "receipts", conversation_id: conversationId, ...fields })) return;
  api("POST", `/conversations/${conversationId}/receipts`, fields).catch(() => {});
}
