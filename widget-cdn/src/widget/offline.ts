/**
 * The offline request form, shown instead of the chat when no operator is online and there is
 * no conversation: name, contact and message, checked here first, then the server's field
 * errors beside their fields; a resubmitted form is the same request.
 */
import { call, fieldErrors, uuid } from "./api";
import { h, icon } from "./dom";
import { chars, errorText, lang, number, t } from "./env";
import { after, setComposerEnabled, setState, greeting } from "./skeleton";
import { state } from "./state";
import { BODY_MAX_LENGTH as BODY_MAX } from "@shared/protocol";

export function showOffline(): void {
  setState("offline");
  setComposerEnabled(false);
  greeting.textContent = "";
  const message = (state.availability.out_of_hours && state.availability.out_of_hours_message[lang]) || state.cfg.offline_message[lang];
  const field = (name: string, label: string, control: HTMLInputElement | HTMLTextAreaElement): HTMLElement => {
    control.id = `f-${name}`;
    control.name = name;
    control.className = "field";
    const error = h("span", { class: "ferr", id: `e-${name}` });
    control.setAttribute("aria-describedby", error.id);
    return h("div", { class: "fld" }, h("label", { for: control.id }, label), control, error);
  };
  const nameInput = h("input", { type: "text", autocomplete: "name", maxlength: 120 });
  const contactInput = h("input", { type: "text", autocomplete: "email", maxlength: 120, required: true, inputmode: "email" });
  const bodyInput = h("textarea", { rows: 4, required: true });
  const formError = h("p", { class: "cerr", role: "alert" });
  formError.hidden = true;
  const submit = h("button", { type: "submit", class: "btn" }, t.request_send);
  const form = h("form", { class: "card form", novalidate: true },
    field("name", t.name, nameInput), field("contact", t.contact, contactInput), field("body", t.message, bodyInput), formError, submit);
  const clientId = uuid(); // a resubmitted form is the same request
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".ferr").forEach((el) => (el.textContent = ""));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    formError.hidden = true;
    const wrong = new Map<HTMLInputElement | HTMLTextAreaElement, string>();
    for (const el of [contactInput, bodyInput]) if (!el.value.trim()) wrong.set(el, t.required);
    if (chars(bodyInput.value.trim()) > BODY_MAX) wrong.set(bodyInput, t.too_long(number(BODY_MAX)));
    if (wrong.size) {
      wrong.forEach((text, el) => {
        el.setAttribute("aria-invalid", "true");
        (form.querySelector(`#e-${el.name}`) as HTMLElement).textContent = text;
      });
      Array.from(wrong.keys())[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      await call("POST", "/requests", { name: nameInput.value.trim(), contact: contactInput.value.trim(), body: bodyInput.value.trim(), client_id: clientId });
      after.textContent = "";
      setState("thanks");
      after.appendChild(h("div", { class: "card thanks", role: "status", tabindex: -1 },
        h("div", { class: "ok", "aria-hidden": "true" }, icon("check")), h("p", { class: "q" }, t.thanks), h("p", { class: "muted" }, t.thanks_text)));
      (after.firstChild as HTMLElement).focus();
    } catch (e) {
      const errors = fieldErrors(e);
      let shown = false;
      for (const [name, text] of Object.entries(errors)) {
        const target = form.querySelector(`#e-${name}`);
        if (!target) continue;
        target.textContent = text;
        form.querySelector(`#f-${name}`)?.setAttribute("aria-invalid", "true");
        shown = true;
      }
      if (!shown) {
        formError.textContent = errorText(e) || t.error;
        formError.hidden = false;
      }
      submit.disabled = false;
    }
  });
  after.textContent = "";
  after.appendChild(h("div", { class: "offline" },
    h("h2", null, state.cfg.offline_title[lang] || t.offline), message ? h("p", { class: "muted" }, message) : null, form));
}
