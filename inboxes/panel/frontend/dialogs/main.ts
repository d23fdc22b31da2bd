/** dialogs.js: the Dialogs page (inboxes/dialogs.html). The conversation list, the
 * conversation view with history, replies with files, ticks and typing, transfer to another
 * branch, and the visitor's details. Live through the socket that panel.js keeps
 * (`window.MessengerPanel`); the HTTP API covers loads and fallbacks. */

import { $, T, el, hub, state } from "./context";
import { onInput, stopTyping, submit } from "./composer";
import { closeView, markOpened, openConversation, showNotice } from "./conversation";
import { addFiles, hasFiles, onPaste } from "./drafts";
import * as events from "./events";
import { errorText } from "./format";
import { onFileClick } from "./files";
import { applyRow, selectStatus, selectTab } from "./list";
import { loadOlder, markRead } from "./messages";
import { loadBranches, loadOperators, openTransfer, submitTransfer } from "./transfer";

async function action(name: string): Promise<void> {
  const id = state.currentId;
  if (!id) return;
  try {
    applyRow(await hub.api("POST", `/conversations/${id}/${name}`));
    if (name === "take" && state.tab === "unassigned") selectTab("mine");
  } catch (error) {
    showNotice(errorText(error));
  }
}

function wire(root: HTMLElement): void {
  for (const button of root.querySelectorAll<HTMLElement>("[data-tab]")) {
    button.addEventListener("click", () => selectTab(button.dataset.tab || "all"));
  }
  for (const button of root.querySelectorAll<HTMLElement>("[data-status]")) {
    button.addEventListener("click", () => selectStatus(button.dataset.status || "open"));
  }
  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  el.input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing a word.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  el.input.addEventListener("input", onInput);
  el.input.addEventListener("blur", stopTyping);
  el.scroller.addEventListener("scroll", () => {
    if (el.scroller.scrollTop < 80) loadOlder();
  });
  el.take.addEventListener("click", () => action("take"));
  el.transfer.addEventListener("click", openTransfer);
  el.transferBranch.addEventListener("change", loadOperators);
  el.transferForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitTransfer();
  });
  for (const button of [$("transfer-cancel"), $("transfer-x")]) {
    button.addEventListener("click", () => el.modal.close());
  }
  el.modal.addEventListener("click", (event) => {
    if (event.target === el.modal) el.modal.close(); // a click on the backdrop
  });
  el.attach.addEventListener("click", () => el.file.click());
  el.file.addEventListener("change", () => {
    addFiles(Array.from(el.file.files || []));
    el.file.value = ""; // the same file can be chosen again
  });
  el.input.addEventListener("paste", onPaste);
  el.view.addEventListener("dragover", (event) => {
    if (!hasFiles(event) || el.input.disabled) return;
    event.preventDefault();
    el.view.classList.add("dragging");
  });
  el.view.addEventListener("dragleave", (event) => {
    if (!el.view.contains(event.relatedTarget as Node | null)) el.view.classList.remove("dragging");
  });
  el.view.addEventListener("drop", (event) => {
    el.view.classList.remove("dragging");
    if (!hasFiles(event) || el.input.disabled) return;
    event.preventDefault();
    addFiles(Array.from(event.dataTransfer!.files));
  });
  el.list.addEventListener("click", onFileClick);
  el.close.addEventListener("click", () => action("close"));
  const endSessions = $("dlg-end-sessions"); // supervisors and admins only
  endSessions?.addEventListener("click", async () => {
    const id = state.currentId;
    if (!id || !window.confirm(T.end_sessions_confirm)) return;
    try {
      applyRow(await hub.api("POST", `/conversations/${id}/end-visitor-sessions`));
      showNotice(T.sessions_ended);
    } catch (error) {
      showNotice(errorText(error));
    }
  });
  el.reopen.addEventListener("click", () => action("reopen"));
  const onVisible = () => {
    markRead();
    markOpened();
  };
  document.addEventListener("visibilitychange", onVisible);
  window.addEventListener("focus", onVisible);
  window.addEventListener("hashchange", () => {
    const id = Number(location.hash.slice(1));
    if (id) openConversation(id);
    else closeView();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || el.modal.open) return; // Escape in the dialog closes only it
    if (state.currentId && document.activeElement !== el.input) closeView();
  });
}

const root = document.getElementById("dialogs");
if (hub && root) {
  events.listen();
  wire(root);
  loadBranches();
  selectTab(["mine", "unassigned", "all"].includes(state.tab) ? state.tab : "all");
  // An emailed link names the conversation as ?c=<id> (a query survives signing in, a
  // fragment does not); it becomes the usual #<id>.
  const fromQuery = Number(new URLSearchParams(location.search).get("c"));
  if (fromQuery) history.replaceState(null, "", `${location.pathname}#${fromQuery}`);
  const fromHash = Number(location.hash.slice(1));
  if (fromHash) openConversation(fromHash);
}
