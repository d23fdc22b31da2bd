/**
 * The header and the look: the inbox's colour and name, the avatar (the company's logo, or the
 * operator's initial once one answers), who is online, and the inbox's greeting above the log.
 */
import { append, h } from "./dom";
import { t } from "./env";
import { app, avatar, greeting, status, statusText, title } from "./skeleton";
import { state } from "./state";

export function applyTheme(): void {
  const color = /^#[0-9a-f]{6}$/i.test(state.cfg.color) ? state.cfg.color : "#3b5bfd";
  const rgb = parseInt(color.slice(1), 16);
  const light = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255) > 170;
  app.style.setProperty("--c", color);
  app.style.setProperty("--ct", light ? "#111" : "#fff");
  document.title = state.cfg.name || t.chat;
}

export function renderHeader(): void {
  const operator = state.conv && (state.conv.operator_name || "");
  title.textContent = state.cfg.name || t.chat;
  avatar.textContent = "";
  if (state.cfg.logo_url && !operator) avatar.appendChild(h("img", { src: state.cfg.logo_url, alt: "" }));
  else avatar.textContent = ((operator || state.cfg.name || "?").trim()[0] || "?").toUpperCase();
  statusText.textContent = operator ? `${operator} · ${state.availability.online ? t.online.split(" · ")[0] : t.offline}`
    : state.availability.online ? t.online : t.offline;
  status.classList.toggle("on", state.availability.online);
}

export function renderGreeting(): void {
  greeting.textContent = "";
  if (!state.cfg.greeting) return;
  append(greeting, h("div", { class: "m op first" },
    h("div", { class: "who" }, state.cfg.name),
    h("div", { class: "bub" }, h("div", { class: "body plain" }, state.cfg.greeting))));
}
