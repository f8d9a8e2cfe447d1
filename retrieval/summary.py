"""A short plain-text summary of an article for a reply: its opening sentence(s).

Help-centre articles open with what the reader needs ("Restarting the router fixes most
drops..."), so the first sentences make a fair automatic answer when the channel has no room for
more; the link carries the rest. An article may set `summary:` in its front matter to override.
"""

from __future__ import annotations

import re

from retrieval.articles import Article
from retrieval.chunking import plain_text

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
DEFAULT_MAX_CHARS = 240


def article_summary(article: Article, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Whole sentences from the start of the body, as many as fit in `max_chars` (at least one)."""
    explicit = getattr(article, "summary", None)
    if isinstance(explicit, str) and explicit.strip():
        return " ".join(explicit.split())
    return summarise(article.body, max_chars)


def summarise(markdown: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    paragraph = ""
    for block in re.split(r"\n\s*\n", markdown):
        text = plain_text(block)
        # Skip headings-only and list-only openings: they do not read as an answer.
        if text and not block.lstrip().startswith(("#", "-", "*", "1.")):
            paragraph = " ".join(text.split())
            break
    if not paragraph:
        paragraph = " ".join(plain_text(markdown).split())
    summary = ""
    for sentence in _SENTENCE_END.split(paragraph):
        candidate = f"{summary} {sentence}".strip()
        if summary and len(candidate) > max_chars:
            break
        summary = candidate
        if len(summary) >= max_chars:
            break
    return summary
