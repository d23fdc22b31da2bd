/**
 * A message's `body_html` is sanitised on the server (Markdown subset, nh3). Defence in depth:
 * it is parsed inertly (DOMParser: no scripts run, nothing loads) and rebuilt node by node into
 * fresh elements, keeping only the allowed tags, no attributes but a link's http(s)/mailto/tel
 * href, and text as text nodes.
 */

const ALLOWED = /^(P|BR|STRONG|EM|CODE|PRE|A|UL|OL|LI|S)$/;
const DROPPED = /^(SCRIPT|STYLE|TEMPLATE|IFRAME|OBJECT|EMBED|NOSCRIPT|SVG|MATH|TEXTAREA|SELECT)$/;

function copy(from: Node, into: Node): void {
  from.childNodes.forEach((node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      into.appendChild(document.createTextNode(node.nodeValue || ""));
      return;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    const tag = (node as Element).tagName.toUpperCase();
    if (DROPPED.test(tag)) return;
    if (!ALLOWED.test(tag)) return copy(node, into); // unknown element: keep its text only
    const clean = document.createElement(tag.toLowerCase());
    if (tag === "A") {
      const href = (node as Element).getAttribute("href") || "";
      if (/^(https?:|mailto:|tel:)/i.test(href)) {
        clean.setAttribute("href", href);
        clean.setAttribute("target", "_blank");
        clean.setAttribute("rel", "noopener noreferrer nofollow");
      }
    }
    copy(node, clean);
    into.appendChild(clean);
  });
}

export function safeHtml(html: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  const out = document.createDocumentFragment();
  copy(parsed.body, out);
  return out;
}
