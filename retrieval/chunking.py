"""Cut an article into the short texts that get embedded: its title, each question, body paragraphs.

A sentence encoder compresses a whole text into one vector, so a customer's one-line question
matches a one-line question far better than a whole article. Titles and the `questions` list are
therefore chunks of their own; the body is cut into paragraphs so that a question answered in the
third paragraph can still find it. Short paragraphs (a bold heading, one list item) are merged
with the next, and long ones are split at sentence ends, so every body chunk carries enough words
to mean something and few enough that one idea dominates its vector.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from retrieval.articles import Article

ChunkKind = Literal["title", "question", "body"]

# Changing how chunks are cut changes what the stored vectors mean: bump this so caches rebuild.
CHUNKING_VERSION = 1

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_MARKUP = re.compile(r"(\*\*|__|`|^#{1,6}\s+|^\s*>\s?)", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<!\w)[*_](\S[^*_\n]*?\S|\S)[*_](?!\w)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")
_BULLET = re.compile(r"^\s*[-*+]\s+", re.MULTILINE)
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class ChunkingConfig:
    """Body chunk sizes in characters. Part of the cache manifest: a change re-embeds everything."""

    max_chars: int = 480
    min_chars: int = 120

    def __post_init__(self) -> None:
        if not 0 < self.min_chars <= self.max_chars:
            raise ValueError("chunking needs 0 < min_chars <= max_chars")


@dataclass(frozen=True)
class Chunk:
    """One embedded text and the article it stands for."""

    article_id: str
    kind: ChunkKind
    text: str


def chunk_article(article: Article, config: ChunkingConfig | None = None) -> list[Chunk]:
    """The chunks of one article, always in the same order (title, questions, body)."""
    config = config or ChunkingConfig()
    chunks = [Chunk(article.id, "title", article.title)]
    seen = {article.title.casefold()}
    for question in article.questions:
        if question.casefold() not in seen:
            seen.add(question.casefold())
            chunks.append(Chunk(article.id, "question", question))
    chunks.extend(Chunk(article.id, "body", text) for text in body_passages(article.body, config))
    return chunks


def chunk_articles(articles: Iterable[Article], config: ChunkingConfig | None = None) -> list[Chunk]:
    return [chunk for article in articles for chunk in chunk_article(article, config)]


def body_passages(body: str, config: ChunkingConfig) -> list[str]:
    """Plain-text passages of a Markdown body, each at most `max_chars` long."""
    pieces: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(body):
        text = plain_text(paragraph)
        if text:
            pieces.extend(_split_long(text, config.max_chars))
    return _merge_short(pieces, config)


def plain_text(markdown: str) -> str:
    """Markdown without the markup that only adds noise to an embedding (bold, links, headings)."""
    text = _LINK.sub(r"\1", markdown)
    text = _BULLET.sub("", text)
    text = _MARKUP.sub("", text)
    text = _EMPHASIS.sub(r"\1", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _split_long(text: str, max_chars: int) -> list[str]:
    if len(text) <= max_chars:
        return [text]
    parts: list[str] = []
    current = ""
    for sentence in _units(text, max_chars):
        if current and len(current) + 1 + len(sentence) > max_chars:
            parts.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}" if current else sentence
    if current:
        parts.append(current)
    return parts


def _units(text: str, max_chars: int) -> Iterable[str]:
    """Sentences (or lines), and words for a sentence longer than the cap on its own."""
    for line in text.splitlines():
        for sentence in _SENTENCE_END.split(line):
            if len(sentence) <= max_chars:
                yield sentence
                continue
            piece = ""
            for word in sentence.split():
                if piece and len(piece) + 1 + len(word) > max_chars:
                    yield piece
                    piece = ""
                piece = f"{piece} {word}" if piece else word[:max_chars]
            if piece:
                yield piece


def _merge_short(pieces: list[str], config: ChunkingConfig) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if (
            merged
            and len(merged[-1]) < config.min_chars
            and len(merged[-1]) + 1 + len(piece) <= config.max_chars
        ):
            merged[-1] = f"{merged[-1]}\n{piece}"
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[-1]) < config.min_chars:
        tail = merged.pop()
        if len(merged[-1]) + 1 + len(tail) <= config.max_chars:
            merged[-1] = f"{merged[-1]}\n{tail}"
        else:
            merged.append(tail)
    return merged
