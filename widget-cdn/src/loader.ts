/**
 * The loader: the one script a site embeds.
 *
 *   <script async src="{CDN}/loader.js" data-messenger-key="{public_key}"
 *           data-messenger-host="{BASE}"></script>
 *
 * It asks for the inbox's config (403 when the site is not allowed: then it shows nothing),
 * draws the launcher in a closed shadow root, and loads the chat (an iframe to the Messenger
 * host) only on the first click, after a scroll or after N seconds, as the inbox says. The site
 * can drive it with window.Messenger: open(), close(), identify({...}), on(event, fn) for
 * "open", "close" and "message"; calls made before the frame is ready are queued.
 *
 * The visitor's identity is first-party: the loader keeps the visitor token in the site's own
 * storage and hands it to the frame when asked, so the chat survives page changes, tabs and
 * restarts even where the browser blocks or partitions the frame's third-party storage.
 */
import type { Identity, ToFrame, ToPage } from "./shared/postmessage";

interface Config {
  name: string;
  color: string;
  position: string;
  language: string;
  load_mode: string;
  load_delay_seconds: number;
}

type Handler = (data?: unknown) => void;

const LABELS: Record<string, [string, string]> = {
  en: ["Open chat", "Close chat"],
  ru: ["Открыть чат", "Закрыть чат"],
};
const ICONS =
  '<svg class="c" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3C6.5 3 2 7 2 11.6c0 2.4 1.2 4.6 3 6.1-.2 1.4-.8 2.7-1.8 3.6 2 .1 3.9-.6 5.3-1.7 1.1.3 2.3.5 3.5.5 5.5 0 10-3.9 10-8.5S17.5 3 12 3z"/></svg>' +
  '<svg class="x" viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>';

(() => {
  const doc = document;
  const win = window;
  if (win.Messenger) return; // the snippet pasted twice
  const script = (doc.currentScript ||
    doc.querySelector("script[data-messenger-key]")) as HTMLScriptElement | null;
  const key = script && script.getAttribute("data-messenger-key");
  if (!script || !key) return;
  // The Messenger host (API and chat frame); the loader itself may come from a CDN.
  const BASE = script.getAttribute("data-messenger-host") || new URL(script.src, location.href).origin;
  const TOKEN_KEY = `messenger:${key}`;
  /** The visitor token in the site's own storage: read it, or write `value` ("" forgets). */
  const token = (value?: string): string => {
    try {
      if (value === undefined) return localStorage.getItem(TOKEN_KEY) || "";
      localStorage.setItem(TOKEN_KEY, value);
    } catch (_) {
      /* the site's storage is off too: the frame keeps it for this page view */
    }
    return "";
  };
  const handlers: Record<string, Handler[]> = {};
  const queue: ToFrame[] = [];
  let cfg: Config | undefined;
  let lang = "ru";
  let wrap: HTMLElement;
  let button: HTMLButtonElement;
  let badge: HTMLElement;
  let frame: HTMLIFrameElement | undefined;
  let ready = false;
  let opened = false;
  let wanted = false;
  let unread = 0;

  const emit = (name: string, data?: unknown): void => {
    for (const fn of handlers[name] || []) {
      try {
        fn(data);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  };

  const post = (message: ToFrame): void => {
    if (ready && frame && frame.contentWindow) frame.contentWindow.postMessage(message, BASE);
    else queue.push(message);
  };

  const load = (): void => {
    if (frame || !cfg) return;
    frame = doc.createElement("iframe");
    frame.title = cfg.name;
    frame.referrerPolicy = "origin"; // the frame page checks the site's origin in Referer
    // The hash (never sent to a server) tells the frame which page the visitor is on.
    frame.src = `${BASE}/widget/frame/${encodeURIComponent(key)}/?lang=${lang}#${encodeURIComponent(location.href)}`;
    wrap.appendChild(frame);
  };

  const show = (open: boolean): void => {
    wrap.classList.remove("b");
    if (open === opened) return;
    opened = open;
    wrap.classList.toggle("o", open);
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", (LABELS[lang] || LABELS.en)[open ? 1 : 0]);
    if (open) {
      unread = 0;
      badge.hidden = true;
      if (frame && frame.contentWindow) frame.contentWindow.focus();
    }
    post({ m: open ? "open" : "close" });
    emit(open ? "open" : "close");
  };

  const toggle = (open: boolean): void => {
    wanted = open;
    if (!cfg) return; // the launcher is not drawn yet: done once it is
    if (!open) return show(false);
    load();
    if (ready) show(true);
    else wrap.classList.add("b");
  };

  win.Messenger = {
    open: () => toggle(true),
    close: () => toggle(false),
    identify: (data: Identity) => post({ m: "identify", d: data }),
    on: (name: string, fn: Handler) => {
      (handlers[name] = handlers[name] || []).push(fn);
    },
  };

  addEventListener("message", (event: MessageEvent) => {
    if (!frame || event.origin !== BASE || event.source !== frame.contentWindow) return;
    const message = event.data as ToPage;
    if (!message || typeof message !== "object") return;
    if (message.m === "hello") {
      (frame.contentWindow as Window).postMessage({ m: "token", d: token() } as ToFrame, BASE);
    } else if (message.m === "token") {
      token(message.d); // only our frame (origin and window checked above) sends this
    } else if (message.m === "ready") {
      ready = true;
      queue.splice(0).forEach(post);
      if (wanted) show(true);
    } else if (message.m === "close") {
      wanted = false;
      show(false);
      button.focus();
    } else if (message.m === "message") {
      emit("message", message.d);
      if (!opened) {
        badge.textContent = String(++unread);
        badge.hidden = false;
      }
    }
  });

  const draw = (config: Config): void => {
    cfg = config;
    lang = script.getAttribute("data-lang") || config.language;
    if (!LABELS[lang]) lang = "en";
    const host = doc.createElement("messenger-chat");
    if (config.position === "left") host.setAttribute("data-position", "left");
    const root = host.attachShadow({ mode: "closed" });
    try {
      const sheet = new CSSStyleSheet(); // not subject to the site's CSP for inline styles
      sheet.replaceSync(__LOADER_CSS__);
      (root as ShadowRoot & { adoptedStyleSheets: CSSStyleSheet[] }).adoptedStyleSheets = [sheet];
    } catch (_) {
      const style = doc.createElement("style");
      style.textContent = __LOADER_CSS__;
      root.appendChild(style);
    }
    const color = /^#[0-9a-f]{6}$/i.test(config.color) ? config.color : "#3b5bfd";
    const rgb = parseInt(color.slice(1), 16);
    const light = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255) > 170;
    wrap = doc.createElement("div");
    wrap.style.setProperty("--c", color);
    wrap.style.setProperty("--t", light ? "#111" : "#fff");
    button = doc.createElement("button");
    button.type = "button";
    button.setAttribute("aria-haspopup", "dialog");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", LABELS[lang][0]);
    button.innerHTML = ICONS; // constant markup, nothing from the network
    button.onclick = () => toggle(!opened);
    badge = doc.createElement("span");
    badge.className = "n";
    badge.hidden = true;
    wrap.append(button, badge);
    root.appendChild(wrap);
    doc.body.appendChild(host);
    if (config.load_mode === "scroll") {
      addEventListener("scroll", load, { once: true, passive: true });
    } else if (config.load_mode === "delay") {
      setTimeout(load, Math.max(0, config.load_delay_seconds) * 1000);
    }
    if (wanted) toggle(true);
  };

  fetch(`${BASE}/widget/v1/inboxes/${encodeURIComponent(key)}/config`, { credentials: "omit" })
    .then((response) => (response.ok ? response.json() : null))
    .then((config: Config | null) => {
      if (!config) return; // 403: this site may not use the chat; 404: unknown inbox
      if (doc.body) draw(config);
      else addEventListener("DOMContentLoaded", () => draw(config));
    })
    .catch(() => undefined);
})();
