/** Shapes the panel's pages share: the conversation row and message of the panel API (the
 * generated payload types), and the hub that panel.js gives the page scripts. */

import type { ContactOut, ConversationOut, Frame, MessageOut } from "@shared/protocol";

export type Contact = Partial<ContactOut>;

/** A conversation as the list, the events and the actions give it (fields may be partial:
 * receipts events carry only theirs). */
export type Row = Pick<ConversationOut, "id" | "status" | "assignee_id"> & Partial<ConversationOut>;

/** A message, from the API or an event, or one of ours on its way (no id or seq yet). */
export type Message = Pick<MessageOut, "conversation_id" | "sender_type" | "body" | "created_at"> &
  Partial<MessageOut> & { conversation?: Row };

export interface UnreadSummary {
  conversations: Record<string, number>;
}

/** An API error: the HTTP status and the parsed body (`{detail}`), or null. */
export interface ApiError {
  status: number;
  body: { detail?: unknown } | null;
}

export interface Me {
  id: number;
  name: string;
  staff: boolean;
  muted: boolean;
  soundWhenVisible: boolean;
  status: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (payload: any, frame: Frame) => void;

export interface ToastOptions {
  title?: string;
  href?: string;
  linkText?: string;
  kind?: string;
  key?: string;
}

/** What panel.js (hub/main.ts) offers the page scripts as `window.MessengerPanel`. */
export interface Hub {
  me: Me;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api: <T = any>(method: string, path: string, body?: unknown) => Promise<T>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  upload: <T = any>(path: string, file: Blob, filename?: string) => Promise<T>;
  on: (type: string, handler: Handler) => () => void;
  toast: (text: string, options?: ToastOptions) => HTMLElement | null;
  track: (row: Row) => void;
  send: (frame: Frame) => boolean;
  connected: () => boolean;
  receipts: (conversationId: number, fields: { delivered_seq?: number; read_seq?: number }) => void;
  unread: Map<number, number>;
  renderBadge: () => void;
  mergeUnread: (summary: UnreadSummary | null | undefined, options?: { replace?: boolean }) => void;
  refreshUnread: () => void;
  visibleToMe: (row: Partial<Row>) => boolean;
  setReadingCheck: (check: (id: number) => boolean) => void;
}

declare global {
  interface Window {
    MessengerPanel?: Hub;
    webkitAudioContext?: typeof AudioContext;
  }
}
