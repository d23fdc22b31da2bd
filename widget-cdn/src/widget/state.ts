/**
 * The chat's shared state, in one place: the session's settings, the conversation shown, how
 * far the log and the receipts have got (seqs), the messages being sent and the visitor's
 * token. Modules read and change it through `state` and the collections below; state that one
 * module alone uses stays in that module.
 */
import { TOKEN_KEY, embedded, toPage } from "./env";
import type { Attachment, Availability, Config, Conversation } from "./types";

export interface Chip {
  file: File;
  el: HTMLElement;
  preview: string;
  attachment: Attachment | null;
  done: Promise<void>;
}

export interface Pending {
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

interface State {
  cfg: Config;
  contactId: number;
  availability: Availability;
  conv: Conversation | null;
  isOpen: boolean;
  sessionReady: boolean;
  lastSeq: number;
  /** The last operator (or system) message. */
  theirSeq: number;
  oldestSeq: number;
  sentRead: number;
  sentDelivered: number;
  /** The token the site's page handed over (see `store`). */
  pageToken: string;
}

export const state = {
  contactId: 0,
  conv: null,
  isOpen: !embedded,
  sessionReady: false,
  lastSeq: 0,
  theirSeq: 0,
  oldestSeq: 0,
  sentRead: 0,
  sentDelivered: 0,
  pageToken: "",
} as State;

export const held: Pending[] = []; // refused by a rate limit, in the order typed
export const bySeq = new Map<number, HTMLLIElement>();
export const pending = new Map<string, Pending>();
export const chips: Chip[] = [];

/** The last seq before the first hole in what is shown: where a catch-up starts. */
export function heldSeq(): number {
  let seq = state.oldestSeq;
  while (bySeq.has(seq + 1)) seq++;
  return seq;
}

/** The visitor's token. Its home is the site's page: the loader keeps it in the site's own
 * (first-party) storage and hands it over on `hello`, because browsers that block or partition
 * third-party storage (Safari, Firefox strict, incognito) would lose this frame's on every page.
 * This frame's storage is a fallback; memory, the last resort within a page view. */
export const store = {
  get(): string {
    if (state.pageToken) return state.pageToken;
    try {
      return localStorage.getItem(TOKEN_KEY) || "";
    } catch (_) {
      return "";
    }
  },
  set(token: string): void {
    state.pageToken = token;
    toPage({ m: "token", d: token });
    try {
      localStorage.setItem(TOKEN_KEY, token);
    } catch (_) {
      /* blocked: the page keeps it */
    }
  },
};
