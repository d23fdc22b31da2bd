/** Formatting for the Dialogs page: dates, sizes, plurals, names, safe links, elements. */

import type { ApiError, Contact, Row } from "../types";
import { T } from "./context";

const lang = document.documentElement.lang || "en";
const timeFormat = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" });
export const fullFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" } as Intl.DateTimeFormatOptions);
const plural = new Intl.PluralRules(lang);
const numberFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });

export function fill(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

export function shortTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const when = new Date(iso);
  const today = new Date().toDateString() === when.toDateString();
  return today ? timeFormat.format(when) : dateFormat.format(when);
}

export function contactName(row: Partial<Row>): string {
  const contact: Contact = row.contact || {};
  return contact.name || fill(T.visitor_n, { id: contact.id ?? row.id });
}

export function node<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

export function uuid(): string {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function chatsText(n: number): string {
  const forms = T.chats || {};
  return fill(forms[plural.select(n)] || forms.other || "{n}", { n });
}

export function fileSize(bytes: number): string {
  const n = Number(bytes) || 0;
  if (n < 1024) return fill(T.size_b, { n: numberFormat.format(n) });
  if (n < 1024 * 1024) return fill(T.size_kb, { n: numberFormat.format(n / 1024) });
  return fill(T.size_mb, { n: numberFormat.format(n / 1024 / 1024) });
}

/** A link target we are willing to put in an href: our own paths and http(s)/mailto/tel. */
export function safeUrl(url: unknown, { relative = false } = {}): string {
  const text = String(url || "");
  if (relative && /^\/(?!\/)/.test(text)) return text;
  return /^(https?:|mailto:|tel:)/i.test(text) ? text : "";
}

export function errorText(error: unknown): string {
  const detail = (error as ApiError | null)?.body?.detail;
  if (typeof detail === "string") return detail;
  if (detail && typeof detail === "object") return Object.values(detail).flat().join(" ");
  return T.action_failed;
}
