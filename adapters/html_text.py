"""HTML to readable plain text, for platforms that deliver HTML (Discourse's `cooked`, HTML-only mail).

The pipeline reads words, not markup: scripts, styles and quoted blocks (`<blockquote>`, Gmail's
`gmail_quote`, Outlook's reply header, Discourse's `<aside class="quote">` and link previews) are
dropped, block elements become line breaks, entities are decoded. Built on the stdlib parser: it
never fails on broken markup, which is what mail clients send, and it needs no dependency for a
job this small.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "section", "article", "header", "footer", "pre", "dd", "dt",
}  # fmt: skip
_DROP = {"script", "style", "head", "title", "blockquote", "template"}
_QUOTE_CLASSES = ("gmail_quote", "moz-cite-prefix", "yahoo_quoted", "divRplyFwdMsg")
_ASIDE_QUOTES = ("quote", "onebox")  # Discourse's quoted posts and link previews: not the author's words
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _TextExtractor(HTMLParser):
    def __init__(self, *, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._drop_quotes = drop_quotes
        self._parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, dropping)

    @property
    def _dropping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self._parts.append("\n")
        if tag in _VOID:
            return
        classes = " ".join(v or "" for k, v in attrs if k in ("class", "id"))
        quoted = self._drop_quotes and (
            tag == "blockquote"
            or any(c in classes for c in _QUOTE_CLASSES)
            or (tag == "aside" and any(c in classes for c in _ASIDE_QUOTES))
        )
        drop = self._dropping or (tag in _DROP and (tag != "blockquote" or self._drop_quotes)) or quoted
        self._stack.append((tag, drop))

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        # Close up to the matching tag: mail HTML often leaves elements open.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                del self._stack[index:]
                break
        if tag in _BLOCK:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self._parts.append(data)

    def text(self) -> str:
        joined = "".join(self._parts).replace("\xa0", " ")
        lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in joined.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str, *, drop_quotes: bool = True) -> str:
    """The visible text of `html`, quoted history left out unless `drop_quotes` is False."""
    parser = _TextExtractor(drop_quotes=drop_quotes)
    parser.feed(html)
    parser.close()
    return parser.text()
