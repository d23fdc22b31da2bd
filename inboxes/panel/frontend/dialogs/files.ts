/** A message's files: images inline (a click opens the full size), others as download
 * links. Signed links live 15 minutes: an old one is fetched again before it is followed. */

import type { Attachment } from "@shared/protocol";
import type { Message } from "../types";
import { T, hub, state } from "./context";
import { fileSize, fill, node, safeUrl } from "./format";

const LINK_FRESH_MS = 12 * 60 * 1000; // signed file links live 15 minutes

export function filesElement(attachments: Attachment[] | undefined): HTMLElement | null {
  const list = Array.isArray(attachments) ? attachments : [];
  const box = node("div", "msg-files");
  const signedAt = String(Date.now());
  for (const file of list) {
    const url = safeUrl(file && file.url, { relative: true });
    if (!url) continue;
    const name = file.name || "file";
    const link = node("a", file.is_image ? "msg-image" : "msg-file");
    link.href = url;
    link.rel = "noopener noreferrer";
    link.dataset.attachmentId = String(file.id);
    link.dataset.signedAt = signedAt;
    if (file.is_image) {
      link.target = "_blank";
      link.title = name;
      const img = document.createElement("img");
      img.alt = name;
      img.loading = "lazy";
      img.decoding = "async";
      if (file.width && file.height && file.width > 0 && file.height > 0) {
        img.width = file.width; // the box keeps its shape while the image loads
        img.height = file.height;
      }
      img.addEventListener("error", () => refreshLink(link, { reload: true }), { once: true });
      img.src = url;
      link.append(img);
    } else {
      link.setAttribute("download", name);
      link.title = fill(T.download, { name });
      link.append(
        node("span", "msg-file-icon", "📄"),
        node("span", "msg-file-name", name),
        node("small", "msg-file-size", fileSize(file.size)),
      );
    }
    box.append(link);
  }
  return box.children.length ? box : null;
}

/** Fetch the message again for fresh links; the link's new URL, or null. */
async function freshAttachment(link: HTMLAnchorElement): Promise<string | null> {
  const li = link.closest<HTMLElement>(".msg");
  const seq = Number(li && li.dataset.seq);
  const id = state.currentId;
  if (!seq || !id) return null;
  const data = await hub.api<{ messages: Message[] }>("GET", `/conversations/${id}/messages?after=${seq - 1}&limit=1`);
  const message = (data.messages || []).find((m) => m.seq === seq);
  const found = message && (message.attachments || []).find((a) => String(a.id) === link.dataset.attachmentId);
  const url = found && safeUrl(found.url, { relative: true });
  if (!url) return null;
  link.href = url;
  link.dataset.signedAt = String(Date.now());
  return url;
}

async function refreshLink(link: HTMLAnchorElement, { reload = false } = {}): Promise<string | null> {
  try {
    const url = await freshAttachment(link);
    const img = link.querySelector("img");
    if (url && reload && img) img.src = url;
    return url;
  } catch {
    return null;
  }
}

export function onFileClick(event: MouseEvent): void {
  const link = (event.target as Element).closest<HTMLAnchorElement>(".msg-files a");
  if (!link || Date.now() - Number(link.dataset.signedAt || 0) < LINK_FRESH_MS) return;
  event.preventDefault(); // an old link: get a fresh one first
  refreshLink(link).then((url) => {
    if (!url) return;
    if (link.classList.contains("msg-image")) window.open(url, "_blank", "noopener");
    else location.assign(url); // served as an attachment: downloads, the page stays
  });
}
