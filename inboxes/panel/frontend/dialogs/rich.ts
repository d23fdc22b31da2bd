/** A message's text. Every piece of visitor or operator text goes into the page with
 * textContent; the one exception is `body_html` (Markdown rendered and sanitised by the
 * server): it is parsed inert in a <template> and rebuilt from an allowlist here. */

import type { Message } from "../types";
import { node, safeUrl } from "./format";

// The server's Markdown subset. Anything else is unwrapped (its text kept) or, for elements
// whose content is not text, dropped.
const RICH_TAGS = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "A", "UL", "OL", "LI", "S"]);
const DROP_TAGS = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "SVG", "MATH", "NOSCRIPT"]);

function richCopy(from: Node, into: Node): void {
  for (const child of Array.from(from.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.appendChild(document.createTextNode((child as Text).data));
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const element = child as Element;
      const tag = element.tagName.toUpperCase();
      if (DROP_TAGS.has(tag)) continue;
      if (!RICH_TAGS.has(tag)) {
        richCopy(element, into); // unknown wrapper: keep what it says, not what it is
        continue;
      }
      const made = document.createElement(tag.toLowerCase());
      if (made instanceof HTMLAnchorElement) {
        const href = safeUrl(element.getAttribute("href"));
        if (href) {
          made.href = href;
          made.target = "_blank";
          made.rel = "noopener noreferrer nofollow";
        }
      }
      richCopy(element, made);
      into.appendChild(made);
    }
  }
}

/** The message text: sanitised rich HTML when the server rendered it, plain text otherwise. */
export function messageBody(message: Partial<Message>): HTMLElement | null {
  const html = typeof message.body_html === "string" ? message.body_html.trim() : "";
  if (html) {
    const template = document.createElement("template");
    template.innerHTML = html; // template content is inert: nothing loads or runs
    const body = node("div", "msg-body rich");
    richCopy(template.content, body);
    if ((body.textContent || "").trim()) return body;
  }
  return message.body ? node("p", "msg-body", message.body) : null;
}
