"""One chunk of a claimed batch read (and, with the KB on, embedded): the same in every process.

A reading helper and the worker (when it reads a chunk itself) call `read_chunk`, so a
message's reading and query vector never depend on who made them. The vectors are of the text
the KB step looks up: the normalised text, or the raw one when normalising left nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot.reading.text_reading import ReadingTuple, TextReader

ChunkAnswer = tuple[list[ReadingTuple], Any]


class ChunkEmbedder(Protocol):
    """Embeds a chunk's texts in one call (`retrieval.query_embedding.QueryEmbedder`)."""

    @property
    def key(self) -> str:
        """How its vectors are made: a vector is used only where the same key is expected."""
        ...

    @property
    def spec(self) -> str | None:
        """How a helper process rebuilds it; None when only this process can."""
        ...

    def embed_texts(self, texts: Sequence[str]) -> Any: ...


def read_chunk(
    reader: TextReader, embedder: ChunkEmbedder | None, items: Sequence[tuple[str, str | None]]
) -> ChunkAnswer:
    """The chunk's readings as plain tuples, and its query vectors (one row per item) or None."""
    rows = [reader.read(text, preferred).as_tuple() for text, preferred in items]
    if embedder is None:
        return rows, None
    texts = [row[0] or raw for row, (raw, _preferred) in zip(rows, items, strict=True)]
    return rows, embedder.embed_texts(texts)
