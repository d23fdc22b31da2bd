"""Message formatting: a Markdown subset rendered to sanitised HTML, once, when stored.

markdown-it-py parses with raw HTML disabled; nh3 (Ammonia) then keeps only the tags of the
subset and forces `rel="noopener nofollow"` on links. Clients insert `body_html` as is; the
plain `body` stays the source of truth.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import nh3

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "a", "ul", "ol", "li", "s"}
ALLOWED_ATTRIBUTES = {"a": {"href", "target"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@cache
def _markdown() -> MarkdownIt:
    """The parser, made on the first message that needs it: most messages are plain text
    (below), and processes that never render one do not load markdown-it at all."""
    from markdown_it import MarkdownIt

    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
        .disable(
            # "entity": a chat shows "&amp;" as typed, not as "&" (text is not HTML source)
            [
                "image",
                "heading",
                "lheading",
                "table",
                "hr",
                "html_block",
                "html_inline",
                "reference",
                "entity",
            ],
            ignoreInvalid=True,
        )
        .enable(["strikethrough"], ignoreInvalid=True)
    )


# One line of words, digits, spaces and punctuation that means nothing to Markdown or HTML:
# most chat messages. Its HTML is the text in a paragraph, the same as the full render gives
# (tests/inboxes/test_widget_content.py compares the two), at a fraction of the cost.
_PLAIN = re.compile(r"(?:[^\W_]|[ ,.?!:;/%@$'()«»„“”–—…-])*")
_LIST_START = re.compile(r"^(?:\d+[.)]|-)(?: |$)")


def markdown_render(text: str) -> str:
    """Safe HTML of the Markdown subset (bold, italic, code, links, lists, line breaks)."""
    if _PLAIN.fullmatch(text) and not _LIST_START.match(text):
        return f"<p>{text}</p>" if text else ""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    ).strip()
