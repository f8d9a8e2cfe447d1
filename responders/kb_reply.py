"""Composing an automatic KB answer that fits the channel: the summary gives way, nothing else does.

What must survive any limit: the robot label (customers must know a machine answered), the
customer's handle (a public reply must address them), and the link (the actual answer). So the
reply is rendered with the full summary first, and if it is too long the summary is cut at a
word boundary with "…", down to nothing at all; only a title longer than the whole limit is
ever shortened.

X counts every URL as 23 characters whatever its length (t.co wrapping), so `reply_length`
measures the way the platform does; the other channels count characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from bot.core.channels import capabilities
from bot.core.models import ArticleCandidate
from responders.templates import language_name, mention, render

# Generous where the platform is (a Facebook comment allows 8,000, WhatsApp 4,096), but a help
# reply stays short everywhere: the link carries the detail.
ELLIPSIS: Final = "…"

_URL = re.compile(r"https?://\S+")
_SPACES = re.compile(r"[ \t]{2,}")


def reply_length(text: str, channel: str) -> int:
    """Length as the channel counts it (URLs weigh 23 on X)."""
    return capabilities(channel).length(text)


def compose_answer(
    article: ArticleCandidate, *, language: str, channel: str, handle: str, limit: int | None = None
) -> str:
    """The labelled reply for `article`, within `limit` (default: the channel's)."""
    limit = limit or capabilities(channel).max_length
    at = mention(handle, channel)
    if article.lang and article.lang != language:
        return _fit(
            lambda title: render(
                "answer_other_language",
                language,
                handle=at,
                title=title,
                url=article.url,
                article_language=language_name(article.lang, language),
            ),
            article.title,
            channel,
            limit,
        )
    summary = " ".join(article.summary.split())

    def with_summary(text: str) -> str:
        return _tidy(
            render("answer", language, handle=at, summary=text, title=article.title, url=article.url)
        )

    full = with_summary(summary)
    if reply_length(full, channel) <= limit:
        return full
    room = limit - reply_length(with_summary(""), channel)
    if room > len(ELLIPSIS) + 10:
        short = shorten(summary, room - 1)  # one space joins the summary to the handle
        if short:
            candidate = with_summary(short)
            if reply_length(candidate, channel) <= limit:
                return candidate
    return _fit(
        lambda title: with_summary("").replace(article.title, title, 1), article.title, channel, limit
    )


def shorten(text: str, max_chars: int) -> str:
    """`text` cut at a word boundary to at most `max_chars`, ending in "…" when cut."""
    if len(text) <= max_chars:
        return text
    if max_chars <= len(ELLIPSIS):
        return ""
    cut = text[: max_chars - len(ELLIPSIS)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def _fit(render_with_title: Callable[[str], str], title: str, channel: str, limit: int) -> str:
    """Last resort: shorten the title (never the label, handle or link) until the reply fits."""
    text = _tidy(render_with_title(title))
    excess = reply_length(text, channel) - limit
    if excess <= 0:
        return text
    return _tidy(render_with_title(shorten(title, max(0, len(title) - excess))))


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
