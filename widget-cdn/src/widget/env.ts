/**
 * The frame's fixed facts, read once as it loads: which inbox (`data-key`), which language,
 * which site embeds it and the page's address, the page sizes of the widget API, and how the
 * frame speaks to the site's page (postMessage to that origin only).
 */
import type { ToPage } from "@shared/protocol";
import { ApiError, auth, detailText } from "./api";
import { TEXTS, type Lang } from "./i18n";

export const SCRIPT_DIR = ((document.currentScript as HTMLScriptElement | null)?.src || "/cdn/").replace(/[^/]*$/, "");
export const PAGE = 30;
export const RESUME_PAGE = 100; // the server's page size for `resume`
export const ACK_WAIT_MS = 6000;

export const root = document.getElementById("chat") as HTMLElement;
export const KEY = root.getAttribute("data-key") || "";
export const lang: Lang = root.getAttribute("data-lang") === "en" ? "en" : "ru";
export const t = TEXTS[lang];
export const TOKEN_KEY = `messenger:${KEY}:token`;

/** The embedding page's origin: where we post to and what X-Widget-Site declares. */
export const site = (() => {
  const ancestors = location.ancestorOrigins;
  if (ancestors && ancestors.length) return ancestors[0];
  try {
    return document.referrer ? new URL(document.referrer).origin : "";
  } catch (_) {
    return "";
  }
})();
export const embedded = window.parent !== window;
export const pageUrl = (() => {
  try {
    return decodeURIComponent(location.hash.slice(1)).slice(0, 2000);
  } catch (_) {
    return "";
  }
})();
auth.site = site;
auth.lang = lang;

export function toPage(message: ToPage): void {
  if (embedded && site) window.parent.postMessage(message, site);
}

/** A text's length in characters (code points, as the server counts). */
export const chars = (text: string): number => Array.from(text).length;
export const number = (n: number): string => n.toLocaleString(lang);

/** An error's text for the visitor; rate limits in the widget's own language. */
export function errorText(error: unknown): string {
  return error instanceof ApiError && error.status === 429 ? t.limited : detailText(error);
}
