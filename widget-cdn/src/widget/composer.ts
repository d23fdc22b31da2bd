/**
 * Sending what the visitor wrote: refused when over the server's length limit (the text stays),
 * otherwise shown at once as pending with its attachments' previews, and handed to the sending
 * queue (pending.ts) once its uploads are done.
 */
import { detailText, uuid } from "./api";
import { chars, number, t } from "./env";
import { regroup, renderMessage } from "./messages";
import { deliver, pendingState } from "./pending";
import { closePicker } from "./picker";
import { autosize, countChars, files, input, log, showComposerError, toBottom } from "./skeleton";
import { chips, pending, type Pending } from "./state";
import { stopTyping } from "./typing";
import { BODY_MAX_LENGTH as BODY_MAX } from "@shared/protocol";

export async function send(): Promise<void> {
  const body = input.value.trim();
  const uploads = chips.slice();
  if (!body && !uploads.length) return;
  if (chars(body) > BODY_MAX) {
    showComposerError(t.too_long(number(BODY_MAX))); // the text stays for the visitor to shorten
    input.focus();
    return;
  }
  input.value = "";
  autosize();
  countChars();
  chips.length = 0;
  files.textContent = "";
  showComposerError("");
  stopTyping();
  closePicker(false);
  const local = uploads.map((c) => ({ id: 0, name: c.file.name, size: c.file.size, content_type: c.file.type, is_image: !!c.preview, width: null, height: null, url: c.preview || "" }));
  const li = renderMessage({ sender_type: "visitor", sender_name: "", body, body_html: "", attachments: local.filter((a) => a.url), created_at: null });
  li.classList.add("pending");
  log.appendChild(li);
  regroup();
  toBottom();
  const p: Pending = { clientId: uuid(), body, ids: [], convId: 0, el: li, tries: 0, timer: 0, previews: uploads.map((c) => c.preview).filter(Boolean), held: false };
  pending.set(p.clientId, p);
  pendingState(p, "sending");
  try {
    await Promise.all(uploads.map((c) => c.done));
    p.ids = uploads.filter((c) => c.attachment).map((c) => c.attachment!.id);
    if (!body && !p.ids.length) {
      pending.delete(p.clientId);
      li.remove();
      return;
    }
  } catch (e) {
    pendingState(p, "failed", detailText(e));
    return;
  }
  deliver(p);
}
