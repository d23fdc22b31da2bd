/** Shapes the panel's pages share: the conversation row and message of the panel API
 * (inboxes/panel/api.py), and the hub that panel.js gives the page scripts. */

import type { Attachment, Frame, ReceiptSeqs } from "@shared/protocol";

export interface Contact {
  id?: number;
  name?: string;
  email?: string;
  phone?: string;
  created_at?: string | null;
  last_seen_at?: string | null;
  last_page_url?: string;
}

export interface Rating {
  scale: string;
  score: number;
  comment: string;
}

/** A conversation as the list, the events and the actions give it (fields may be partial). */
export interface Row extends Partial<ReceiptSeqs> {
  id: number;
  status: string;
  assignee_id: number | null;
  assignee_name?: string;
  branch_id?: number | null;
  contact?: Contact;
  created_at?: string | null;
  last_message_at?: string | null;
  last_message_preview?: string;
  queued_at?: string | null;
  opened_at?: string | null;
  is_request?: boolean;
  region_name?: string;
  country_code?: string;
  routing_reason?: string;
  rating?: Rating | null;
}

export interface Message {
  id?: number;
  conversation_id: number;
  seq?: number;
  sender_type: "visitor" | "operator" | "system";
  sender_name?: string;
  body: string;
  body_html?: string;
  attachments?: Attachment[];
  client_id?: string | null;
  created_at: string | null;
  conversation?: Row;
}

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
