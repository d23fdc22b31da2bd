/**
 * The chat inside the frame (`/widget/frame/<key>/`, on the Messenger host).
 *
 * It talks to the widget API (same origin) with the visitor token and the embedding site's
 * origin, and to the site's page (the loader) with postMessage, checking origin and window.
 * Everything from the network is put in as text, except a message's server-sanitised
 * `body_html`, which is rebuilt through an allowlist first (html.ts).
 *
 * This module wires the frame's events to the modules that handle them and starts the chat
 * (session.ts) once the page has answered. The rest, by capability: env.ts (the frame's fixed
 * facts), state.ts (shared state), skeleton.ts (the DOM), header.ts, messages.ts (how messages
 * look), log.ts (the log by seq: history, catch-up), composer.ts and pending.ts (sending),
 * files.ts, picker.ts, receipts.ts, typing.ts, conversation.ts, rating.ts, offline.ts,
 * connection.ts and realtime.ts (the live connection), session.ts.
 */
import { send } from "./composer";
import { embedded, site, toPage } from "./env";
import { addFiles, onPaste } from "./files";
import { loadOlder } from "./log";
import { closePicker, openPicker } from "./picker";
import "./realtime";
import { receipts } from "./receipts";
import { boot } from "./session";
import { attachButton, autosize, composer, countChars, emojiButton, fileInput, input, picker, scroller } from "./skeleton";
import { onInputTyping } from "./typing";

composer.addEventListener("submit", (event) => {
  event.preventDefault();
  send();
});
input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
input.addEventListener("input", () => {
  autosize();
  countChars();
  onInputTyping();
});
input.addEventListener("paste", onPaste);
attachButton.addEventListener("click", () => fileInput.click());
fileInput.addEventListener("change", () => {
  addFiles(Array.from(fileInput.files || []));
  fileInput.value = "";
  input.focus();
});
emojiButton.addEventListener("click", () => (picker.hidden ? openPicker() : closePicker(true)));
scroller.addEventListener("scroll", () => {
  if (scroller.scrollTop < 60) loadOlder();
}, { passive: true });
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!picker.hidden) return closePicker(true);
  if (embedded) toPage({ m: "close" });
});
document.addEventListener("click", (event) => {
  const target = event.target as Node;
  if (!picker.hidden && !picker.contains(target) && !emojiButton.contains(target)) closePicker(false);
});
document.addEventListener("visibilitychange", receipts);

if (embedded && site) {
  toPage({ m: "hello" });
  setTimeout(boot, 1500);
} else {
  boot();
}
