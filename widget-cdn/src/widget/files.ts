/**
 * Attachments: files chosen, pasted (images) or dropped on the frame become chips above the
 * input, each uploaded at once into the conversation (started first if need be) and removable;
 * files over the inbox's size limit are refused with a message.
 */
import { call } from "./api";
import { ensureConversation } from "./conversation";
import { h, icon } from "./dom";
import { errorText, t } from "./env";
import { app, drop, files, input, showComposerError } from "./skeleton";
import { chips, state, type Chip } from "./state";
import type { Attachment } from "./types";

export const ACCEPT: Record<string, string> = {
  image: "image/png,image/jpeg,image/gif,image/webp",
  pdf: ".pdf,application/pdf",
  office: ".doc,.docx,.xls,.xlsx,.pptx,.odt",
  text: ".txt,.csv,text/plain,text/csv",
  archive: ".zip,.7z,.gz",
};

export function addFiles(list: File[]): void {
  showComposerError("");
  const limit = state.cfg.attachments.max_mb * 1024 * 1024;
  for (const file of list) {
    if (file.size > limit) {
      showComposerError(t.too_big(file.name || "file", state.cfg.attachments.max_mb));
      continue;
    }
    const image = /^image\/(png|jpeg|gif|webp)$/.test(file.type);
    const preview = image ? URL.createObjectURL(file) : "";
    const remove = h("button", { type: "button", class: "x", "aria-label": `${t.remove}: ${file.name}` }, icon("close"));
    const el = h("div", { class: "chip up", title: file.name },
      image ? h("img", { src: preview, alt: "" }) : icon("file"),
      h("span", { class: "fn" }, file.name), h("span", { class: "spin", "aria-label": t.uploading }), remove);
    const chip: Chip = { file, el, preview, attachment: null, done: Promise.resolve() };
    remove.addEventListener("click", () => {
      const index = chips.indexOf(chip);
      if (index >= 0) chips.splice(index, 1);
      el.remove();
      if (preview) URL.revokeObjectURL(preview);
      input.focus();
    });
    chip.done = upload(chip);
    chips.push(chip);
    files.appendChild(el);
  }
}

async function upload(chip: Chip): Promise<void> {
  try {
    const conversation = await ensureConversation();
    const form = new FormData();
    form.append("file", chip.file, chip.file.name || "image.png");
    chip.attachment = await call<Attachment>("POST", `/conversations/${conversation.id}/attachments`, form);
    chip.el.classList.remove("up");
  } catch (e) {
    const index = chips.indexOf(chip);
    if (index >= 0) chips.splice(index, 1);
    chip.el.remove();
    showComposerError(errorText(e) || t.upload_failed);
  }
}

export function onPaste(event: ClipboardEvent): void {
  const items = Array.from(event.clipboardData ? event.clipboardData.items : []);
  const images = items.filter((item) => item.kind === "file" && /^image\//.test(item.type))
    .map((item) => item.getAsFile()).filter((file): file is File => !!file);
  if (!images.length) return; // text (or anything but an image) pastes as usual
  event.preventDefault();
  addFiles(images);
}

let dragDepth = 0;
function dragHasFiles(event: DragEvent): boolean {
  return !!event.dataTransfer && Array.from(event.dataTransfer.types).indexOf("Files") >= 0;
}
app.addEventListener("dragenter", (event) => {
  if (!dragHasFiles(event) || input.disabled) return;
  event.preventDefault();
  dragDepth++;
  drop.hidden = false;
});
app.addEventListener("dragover", (event) => {
  if (dragHasFiles(event) && !input.disabled) event.preventDefault();
});
app.addEventListener("dragleave", () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    drop.hidden = true;
  }
});
app.addEventListener("drop", (event) => {
  dragDepth = 0;
  drop.hidden = true;
  if (!dragHasFiles(event) || input.disabled) return;
  event.preventDefault();
  addFiles(Array.from(event.dataTransfer!.files));
});
