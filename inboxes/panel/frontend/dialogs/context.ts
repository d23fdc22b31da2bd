/** The Dialogs page's shared pieces: the hub (panel.js), its strings, its elements by id
 * (inboxes/dialogs.html; the e2e tests use the same ids) and the page's state. */

import type { Attachment } from "@shared/protocol";
import type { Hub, Message, Row } from "../types";

export const hub = window.MessengerPanel as Hub;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const T: Record<string, any> = JSON.parse(document.getElementById("dialogs-i18n")?.textContent || "{}");
export const me = hub ? hub.me : { id: 0, name: "", staff: false, muted: false, soundWhenVisible: false, status: "" };

export const PAGE = 50;
export const RESUME_PAGE = 100; // the server's page size for `resume`

const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E;
export { $ };

export const el = {
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
  composer: $<HTMLFormElement>("dlg-composer"),
  input: $<HTMLTextAreaElement>("dlg-input"),
  send: $<HTMLButtonElement>("dlg-send"),
  attach: $<HTMLButtonElement>("dlg-attach"),
  file: $<HTMLInputElement>("dlg-file"),
  files: $("dlg-files"),
  sendError: $("dlg-send-error"),
  contact: $("dlg-contact"),
  history: $("contact-history"),
  ratingBox: $("contact-rating-box"),
  rating: $("contact-rating"),
  ratingComment: $("contact-rating-comment"),
  modal: $<HTMLDialogElement>("transfer-dialog"),
  transferForm: $<HTMLFormElement>("transfer-form"),
  transferBranch: $<HTMLSelectElement>("transfer-branch"),
  transferOperators: $("transfer-operators"),
  transferState: $("transfer-state"),
  transferNote: $<HTMLTextAreaElement>("transfer-note"),
  transferError: $("transfer-error"),
  transferSubmit: $<HTMLButtonElement>("transfer-submit"),
};

/** A reply on its way: shown greyed until the server stores it (same client_id every try). */
export interface Pending extends Message {
  client_id: string;
  attachment_ids: number[];
  li: HTMLElement;
  tries: number;
  timer: number;
  inFlight: boolean;
  failed: boolean;
}

/** A file chosen for the next reply; it goes up at once. */
export interface Draft {
  key: string;
  name: string;
  size: number;
  uploading: boolean;
  error: string;
  attachment: Attachment | null;
  preview: string;
}

export interface Branch {
  id: number;
  name: string;
  is_active: boolean;
}

export const state = {
  tab: sessionStorage.getItem("dialogs:tab") || "all",
  status: "open",
  rows: new Map<number, Row>(), // id -> conversation row shown in the list
  rowEls: new Map<number, HTMLElement>(), // id -> <li>
  everHadRows: false,
  currentId: null as number | null,
  current: null as Row | null, // the open conversation's row
  seqs: new Map<number, HTMLElement>(), // seq -> <li> of the open conversation's messages
  // client_id -> reply, in typing order; only the first unsent one is on its way, so the
  // server numbers replies in the order they were written.
  pending: new Map<string, Pending>(),
  oldestSeq: null as number | null,
  newestSeq: 0,
  loadingOlder: false,
  readSent: 0,
  typingSentAt: 0,
  typingTimers: new Map<number, number>(), // conversation id -> timer hiding "typing…"
  lostAccess: false,
  branches: new Map<number, Branch>(),
  drafts: new Map<number, Draft[]>(), // conversation id -> files chosen for the next reply
  openSentAt: new Map<number, number>(), // conversation id -> when we said "the operator looks"
  historyKey: "", // assignee/branch/status the shown history belongs to
  historyTicket: 0, // only the last history request of the open dialog counts
  stickyNotice: "", // a notice that outlives row updates (after a transfer)
};
