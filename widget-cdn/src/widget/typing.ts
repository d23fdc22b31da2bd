/**
 * Typing, both ways: the visitor's (sent at most every 2.5 s while they type, "stopped" 3 s
 * after the last key or on sending) and the operator's "… is typing" line (hidden after 6 s).
 */
import { call } from "./api";
import { live } from "./connection";
import { append, h } from "./dom";
import { t } from "./env";
import { input, nearBottom, toBottom, typing } from "./skeleton";
import { state } from "./state";

let typingSentAt = 0;
let typingStop = 0;
let typingHide = 0;

function sendTyping(on: boolean): void {
  if (!state.conv || state.conv.status === "closed") return;
  if (!live.send({ type: "typing", conversation_id: state.conv.id, is_typing: on })) {
    call("POST", `/conversations/${state.conv.id}/typing`, { is_typing: on }).catch(() => undefined);
  }
}

export function onInputTyping(): void {
  if (!state.conv || !input.value.trim()) return;
  const now = Date.now();
  if (now - typingSentAt > 2500) {
    typingSentAt = now;
    sendTyping(true);
  }
  clearTimeout(typingStop);
  typingStop = window.setTimeout(stopTyping, 3000);
}

export function stopTyping(): void {
  clearTimeout(typingStop);
  if (typingSentAt) sendTyping(false);
  typingSentAt = 0;
}

export function showTyping(on: boolean, name: string): void {
  clearTimeout(typingHide);
  if (!on) return hideTyping();
  const stick = nearBottom();
  typing.textContent = "";
  append(typing, h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), name ? `${name} ${t.typing}` : t.operator_typing);
  typing.hidden = false;
  if (stick) toBottom();
  typingHide = window.setTimeout(hideTyping, 6000);
}

export function hideTyping(): void {
  typing.hidden = true;
}
