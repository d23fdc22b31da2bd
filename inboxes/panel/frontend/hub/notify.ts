/** Sounds and browser notifications for new dialogs, new messages and dialogs handed to me:
 * one tab of the browser chimes (tabs claim an event in localStorage), none while another
 * panel tab is in front, and a new dialog's notification waits a moment for its first
 * message so that one notification says both. */

import type { Message, Row } from "../types";
import { T, data, me, visibleToMe } from "./context";

let audio: AudioContext | null = null;
const chimedAt = new Map<number, number>(); // conversation id -> when this tab last chimed for it
const VISIBLE_KEY = "messenger:visible-tab";
const VISIBLE_FRESH_MS = 6000;
const NEW_DIALOG_WAIT_MS = 5000;

function audioContext(): typeof AudioContext | undefined {
  return window.AudioContext || window.webkitAudioContext;
}

/** Unlock audio on a user gesture, for later chimes. */
export function unlockAudio(): void {
  const Context = audioContext();
  if (Context && !audio) audio = new Context();
}

export function resumeAudio(): void {
  if (audio?.state === "suspended") audio.resume();
}

/** A short two-note chime made with WebAudio (no audio file to load). */
export function chime(): void {
  const Context = audioContext();
  if (!Context) return;
  const context = (audio = audio || new Context());
  const start = context.currentTime + 0.01;
  [880, 1320].forEach((frequency, index) => {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    const at = start + index * 0.12;
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.25);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + 0.3);
  });
}

function storageGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // private mode or storage disabled: tabs just do not coordinate
  }
}

/** True for the first tab to claim `key` (all tabs get the same event; one should chime). */
export function claim(key: string): boolean {
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
function anotherTabVisible(): boolean {
  const [owner, stamp] = (storageGet(VISIBLE_KEY) || "").split(":");
  return owner !== tabId && Date.now() - Number(stamp || 0) < VISIBLE_FRESH_MS;
}

function markVisible(): void {
  if (!document.hidden) storageSet(VISIBLE_KEY, `${tabId}:${Date.now()}`);
}

export function watchVisibility(): void {
  setInterval(markVisible, 2000);
  document.addEventListener("visibilitychange", markVisible);
  markVisible();
}

function contactName(contact: Row["contact"], id: number): string {
  return (contact && contact.name) || `${data.tVisitor || "Visitor"} #${id}`;
}

/** What a message says, for a notification: its text, or the names of its files. */
function messageText(message: Message): string {
  if (message.body) return message.body;
  const names = (message.attachments || []).map((file) => `📎 ${file.name}`);
  return names.join(" ") || "";
}

// conversation id -> timer of a new dialog's notification, waiting for its first message
const newDialogs = new Map<number, { timer: number; title: string }>();
const notifiedAt = new Map<number, number>(); // conversation id -> when this tab last notified

/** One chime per conversation within a few seconds (a new dialog and its first message). */
function chimeFor(id: number): void {
  if (Date.now() - (chimedAt.get(id) || 0) > 3000) chime();
  chimedAt.set(id, Date.now());
}

function showNotification(title: string | undefined, conversation: Partial<Row>, id: number, body: string): void {
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

export function notify(kind: "message", payload: Message): void;
export function notify(kind: "conversation" | "assigned", payload: Row): void;
export function notify(kind: string, payload: Message | Row): void {
  if (me.muted) return;
  const isRow = kind !== "message";
  const conversation: Partial<Row> = isRow ? (payload as Row) : (payload as Message).conversation || {};
  const id = (conversation.id || (payload as Message).conversation_id) as number;
  if (!visibleToMe(conversation)) return;
  const keys: Record<string, string> = { conversation: `c${id}`, assigned: `a${id}` };
  const key = keys[kind] || `m${id}:${(payload as Message).seq}`;
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
  const newDialogTitle = (kind === "assigned" ? T.assigned_to_you || data.tNewDialog : data.tNewDialog) || "";
  if (isRow) {
    const preview = conversation.last_message_preview;
    if (preview) {
      showNotification(newDialogTitle, conversation, id, preview);
    } else if (!newDialogs.has(id) && Date.now() - (notifiedAt.get(id) || 0) > NEW_DIALOG_WAIT_MS) {
      // A new dialog comes just before its first message: one notification with the
      // message in it, not an empty one and then another.
      const timer = window.setTimeout(() => {
        newDialogs.delete(id);
        showNotification(newDialogTitle, conversation, id, "");
      }, NEW_DIALOG_WAIT_MS);
      newDialogs.set(id, { timer, title: newDialogTitle });
    }
    return;
  }
  const title = waiting ? waiting.title : data.tNewMessage;
  showNotification(title, conversation, id, messageText(payload as Message));
}
