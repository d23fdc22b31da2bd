/** Toasts: small cards in the corner (routing alerts for supervisors and admins, failures).
 * Text only; `href` adds a link, `key` replaces a twin. */

import type { ToastOptions } from "../types";
import { T, me } from "./context";
import { chime, claim } from "./notify";
import { on } from "./socket";

const TOASTS_MAX = 4;

export function toast(text: string, { title = "", href = "", linkText = "", kind = "", key = "" }: ToastOptions = {}): HTMLElement | null {
  const toasts = document.getElementById("panel-toasts");
  if (!toasts || !text) return null;
  if (key) toasts.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
  const card = document.createElement("div");
  card.className = `toast${kind ? ` ${kind}` : ""}`;
  card.setAttribute("role", kind === "bad" ? "alert" : "status");
  if (key) card.dataset.key = key;
  const body = document.createElement("div");
  body.className = "toast-body";
  if (title) {
    const heading = document.createElement("strong");
    heading.textContent = title;
    body.append(heading);
  }
  const line = document.createElement("p");
  line.textContent = text;
  body.append(line);
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.textContent = linkText || href;
    link.addEventListener("click", () => card.remove());
    body.append(link);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.textContent = "×";
  close.title = T.dismiss || "Dismiss";
  close.setAttribute("aria-label", close.title);
  close.addEventListener("click", () => card.remove());
  card.append(body, close);
  toasts.append(card);
  while (toasts.children.length > TOASTS_MAX) toasts.firstElementChild!.remove();
  if (kind === "bad") setTimeout(() => card.remove(), 8000);
  return card;
}

export function listen(): void {
  on("routing.alert", (payload) => {
    if (!payload || !payload.message) return;
    const id = Number(payload.conversation_id) || 0;
    toast(payload.message, {
      title: T.routing_alert,
      href: id ? `/dialogs/#${id}` : "",
      linkText: T.open_dialog,
      key: id ? `alert-${id}` : "",
    });
    if (!me.muted && claim(`r${id}:${Math.floor(Date.now() / 30000)}`)) chime();
  });
}
