/**
 * Rating a closed conversation: stars (1–5) or NPS (0–10) as a radio group with arrow keys, an
 * optional comment, and the thanks card once sent (or when it had been rated already).
 */
import { ApiError, call, detailText } from "./api";
import { append, h, icon } from "./dom";
import { t } from "./env";
import { state } from "./state";
import type { Conversation } from "./types";

export function ratingCard(conversation: Conversation): HTMLElement {
  const nps = state.cfg.rating_scale === "nps";
  const question = h("p", { class: "q", id: "rate-q" }, nps ? t.rate_nps : t.rate_stars);
  const scores = nps ? Array.from({ length: 11 }, (_, i) => i) : [1, 2, 3, 4, 5];
  let score: number | null = null;
  const submit = h("button", { type: "submit", class: "btn", disabled: true }, t.rate_send);
  const error = h("p", { class: "cerr", role: "alert" });
  error.hidden = true;
  const buttons = scores.map((n) => h("button", {
    type: "button", role: "radio", "aria-checked": "false", class: nps ? "nps" : "star",
    "aria-label": nps ? String(n) : t.star(n), "data-score": n, tabindex: n === scores[0] ? 0 : -1,
    onclick: () => pick(n),
  }, nps ? String(n) : icon("star")));
  const group = h("div", { class: nps ? "scale nps-row" : "scale stars", role: "radiogroup", "aria-labelledby": "rate-q" }, ...buttons);
  group.addEventListener("keydown", (event: KeyboardEvent) => {
    const step = event.key === "ArrowRight" || event.key === "ArrowDown" ? 1 : event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const index = Math.max(0, Math.min(scores.length - 1, scores.indexOf(score === null ? scores[0] - step : score) + step));
    pick(scores[index]);
    buttons[index].focus();
  });
  const comment = h("textarea", { class: "field", rows: 2, maxlength: 1000, placeholder: t.comment, "aria-label": t.comment });
  const card = h("form", { class: "card rate", "aria-labelledby": "rate-q", novalidate: true }, question, group);
  if (nps) card.appendChild(h("div", { class: "ends", "aria-hidden": "true" }, h("span", null, t.nps_low), h("span", null, t.nps_high)));
  append(card, comment, error, submit);

  function pick(n: number): void {
    score = n;
    buttons.forEach((b, i) => {
      const on = scores[i] === n;
      b.setAttribute("aria-checked", String(on));
      b.tabIndex = on ? 0 : -1;
      b.classList.toggle("lit", nps ? on : scores[i] <= n);
    });
    submit.disabled = false;
  }

  card.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (score === null) return;
    submit.disabled = true;
    error.hidden = true;
    try {
      const rated = await call<Conversation>("POST", `/conversations/${conversation.id}/rating`, { score, comment: comment.value.trim() });
      if (state.conv && state.conv.id === rated.id) state.conv.rating = rated.rating;
      card.replaceWith(ratingThanks(score, nps));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && /already/i.test(detailText(e))) {
        card.replaceWith(ratingThanks(score, nps));
        return;
      }
      error.textContent = detailText(e) || t.error;
      error.hidden = false;
      submit.disabled = false;
    }
  });
  return card;
}

function ratingThanks(score: number, nps: boolean): HTMLElement {
  const shown = nps ? `${score}/10` : "★".repeat(score) + "☆".repeat(5 - score);
  return h("div", { class: "card thanks", role: "status" },
    h("div", { class: "ok", "aria-hidden": "true" }, icon("check")),
    h("p", { class: "q" }, t.rate_thanks),
    h("p", { class: "muted" }, `${t.your_rating}: `, h("span", { class: "score" }, shown)));
}
