/**
 * The frame's skeleton, built once as it loads: the header, the scrolling log, the composer,
 * the emoji picker's box and the drop overlay, and the few helpers that switch them (the app's
 * state, the composer's enabled state, error and character counter, scrolling to the bottom).
 */
import { BODY_MAX_LENGTH as BODY_MAX } from "@shared/protocol";
import { h, icon } from "./dom";
import { chars, embedded, number, root, t, toPage } from "./env";

const style = document.createElement("style");
style.textContent = __WIDGET_CSS__;
document.head.appendChild(style);

export const avatar = h("div", { class: "av", "aria-hidden": "true" });
export const title = h("h1", { class: "ti", id: "title" }, t.chat);
export const statusText = h("span", null, "");
export const status = h("p", { class: "st" }, h("span", { class: "dot", "aria-hidden": "true" }), statusText);
export const closeButton = h("button", { type: "button", class: "ib hb", "aria-label": t.close, onclick: () => toPage({ m: "close" }) }, icon("close"));
closeButton.hidden = !embedded;
export const header = h("header", { class: "hd" }, avatar, h("div", { class: "who-box" }, title, status), closeButton);

export const older = h("p", { class: "older", role: "status" }, t.older);
older.hidden = true;
export const greeting = h("div", { class: "greet" });
export const log = h("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.messages });
export const typing = h("div", { class: "typing", "aria-live": "polite" });
typing.hidden = true;
export const after = h("div", { class: "after" });
export const scroller = h("div", { class: "scroll" }, older, greeting, log, typing, after);

/** From COUNT_FROM characters on the composer shows a counter of the server's limit for a
 * message (BODY_MAX). No `maxlength`: a browser would cut a long paste silently; the text is
 * kept and refused with a message instead. */
const COUNT_FROM = 9000;

export const input = h("textarea", {
  class: "input", rows: 1, placeholder: t.placeholder, "aria-label": t.message,
  "aria-describedby": "hint", disabled: true,
});
export const fileInput = h("input", { type: "file", multiple: true, hidden: true, tabindex: -1 });
export const emojiButton = h("button", { type: "button", class: "ib", "aria-label": t.emoji, "aria-expanded": "false", "aria-haspopup": "dialog", disabled: true }, icon("smile"));
export const attachButton = h("button", { type: "button", class: "ib", "aria-label": t.attach, disabled: true }, icon("clip"));
export const sendButton = h("button", { type: "submit", class: "send", "aria-label": t.send, disabled: true }, icon("send"));
export const files = h("div", { class: "files" });
export const composerError = h("p", { class: "cerr", role: "alert" });
composerError.hidden = true;
export const counter = h("p", { class: "count", id: "count", "aria-live": "polite" });
counter.hidden = true;
export const hint = h("p", { class: "hint", id: "hint" },
  h("b", null, `**${t.md[0]}**`), " ", h("i", null, `*${t.md[1]}*`), " ", h("code", null, `\`${t.md[2]}\``), " · ", t.hint);
export const composer = h("form", { class: "composer", novalidate: true },
  files, composerError,
  h("div", { class: "row" }, input, emojiButton, attachButton, sendButton), counter, hint, fileInput);
export const picker = h("div", { class: "picker", role: "dialog", "aria-label": t.emoji });
picker.hidden = true;
export const drop = h("div", { class: "drop", "aria-hidden": "true" }, h("div", null, icon("clip"), t.drop));
drop.hidden = true;
export const main = h("main", { class: "main" }, scroller, picker);
export const app = h("div", { class: "app", "data-state": "loading" }, header, main, composer, drop);
root.appendChild(app);
export const loading = h("div", { class: "center" }, h("span", { class: "spin", "aria-hidden": "true" }), h("p", { class: "muted" }, t.loading));
after.appendChild(loading);

export function setState(state: string): void {
  app.setAttribute("data-state", state);
}

export function setComposerEnabled(on: boolean): void {
  for (const el of [input, emojiButton, attachButton, sendButton]) el.disabled = !on;
  composer.hidden = !on && app.getAttribute("data-state") !== "loading";
}

export function showComposerError(text: string): void {
  composerError.textContent = text;
  composerError.hidden = !text;
}

/** Near the limit "9,120 / 10,000" replaces the hint; over it, it turns red. Once the text is
 * short enough again, the refusal's message goes. */
export function countChars(): void {
  const n = chars(input.value.trim());
  counter.hidden = n < COUNT_FROM;
  hint.hidden = !counter.hidden;
  counter.textContent = counter.hidden ? "" : `${number(n)} / ${number(BODY_MAX)}`;
  counter.classList.toggle("over", n > BODY_MAX);
  if (n <= BODY_MAX && composerError.textContent === t.too_long(number(BODY_MAX))) showComposerError("");
}

export function nearBottom(): boolean {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
}

export function toBottom(): void {
  scroller.scrollTop = scroller.scrollHeight;
}

export function autosize(): void {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}
