/** Files for the next reply: the paperclip, a paste, a drop. Each file goes up at once; the
 * reply takes the ones that made it. */

import { T, el, hub, state, type Draft } from "./context";
import { showSendError } from "./composer";
import { errorText, fileSize, fill, node, uuid } from "./format";

export function draftsOf(id: number): Draft[] {
  if (!state.drafts.has(id)) state.drafts.set(id, []);
  return state.drafts.get(id)!;
}

function dropDraft(id: number, draft: Draft): void {
  if (draft.preview) URL.revokeObjectURL(draft.preview);
  const list = draftsOf(id);
  const at = list.indexOf(draft);
  if (at >= 0) list.splice(at, 1);
}

export function clearDrafts(id: number): void {
  for (const draft of [...draftsOf(id)]) dropDraft(id, draft);
  if (id === state.currentId) renderDrafts();
}

export function addFiles(files: File[]): void {
  const id = state.currentId;
  if (!id || el.input.disabled || !files.length) return;
  showSendError("");
  for (const file of files) {
    const draft: Draft = {
      key: uuid(),
      name: file.name || "file",
      size: file.size,
      uploading: true,
      error: "",
      attachment: null,
      preview: /^image\/(png|jpeg|gif|webp)$/.test(file.type) ? URL.createObjectURL(file) : "",
    };
    draftsOf(id).push(draft);
    hub
      .upload(`/conversations/${id}/attachments`, file, draft.name)
      .then((attachment) => {
        draft.attachment = attachment;
      })
      .catch((error) => {
        draft.error = errorText(error);
      })
      .finally(() => {
        draft.uploading = false;
        if (id === state.currentId) renderDrafts();
      });
  }
  renderDrafts();
  el.input.focus();
}

export function renderDrafts(): void {
  const list = state.currentId ? draftsOf(state.currentId) : [];
  el.files.hidden = !list.length;
  el.files.replaceChildren(
    ...list.map((draft) => {
      const li = node("li", "dlg-file-chip");
      li.classList.toggle("uploading", draft.uploading);
      li.classList.toggle("failed", Boolean(draft.error));
      if (draft.preview) {
        const thumb = document.createElement("img");
        thumb.className = "dlg-file-thumb";
        thumb.alt = "";
        thumb.src = draft.preview;
        li.append(thumb);
      } else {
        li.append(node("span", "dlg-file-thumb icon", "📄"));
      }
      const text = node("span", "dlg-file-text");
      const detail = draft.uploading ? T.uploading : draft.error || fileSize(draft.size);
      text.append(node("span", "dlg-file-name", draft.name), node("small", "dlg-file-state", detail));
      const remove = node("button", "dlg-file-remove", "×");
      remove.type = "button";
      remove.title = fill(T.remove_file, { name: draft.name });
      remove.setAttribute("aria-label", remove.title);
      remove.addEventListener("click", () => {
        dropDraft(state.currentId!, draft);
        renderDrafts();
        el.input.focus();
      });
      li.append(text, remove);
      return li;
    }),
  );
}

/** A pasted screenshot is called "image.png" by every browser: give it a useful name. */
function pastedName(file: File): string {
  const extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
  const stamp = new Date().toTimeString().slice(0, 8).replace(/:/g, "-");
  return `${T.pasted_name || "screenshot"}-${stamp}.${extension}`;
}

export function onPaste(event: ClipboardEvent): void {
  const data = event.clipboardData;
  if (!data || !data.files || !data.files.length) return;
  // Text copied from an office program comes with a picture of itself: keep the text.
  if (data.types.includes("text/plain") && data.getData("text/plain").trim()) return;
  event.preventDefault();
  addFiles(
    Array.from(data.files, (file) =>
      file.type.startsWith("image/") ? new File([file], pastedName(file), { type: file.type }) : file,
    ),
  );
}

export function hasFiles(event: DragEvent): boolean {
  return Array.from(event.dataTransfer?.types || []).includes("Files");
}
