"""Each claimed batch read and embedded by the worker itself, in one call, in a thread.

Why: with the KB on and no reading helper (a replica with one CPU, or sharing its CPUs with
other replicas), the KB step used to embed every message on its own when its decision came:
one encoder call per message, on the decisions' critical path, each a thread hop. The claimed
batch in one call costs a fraction per text (`retrieval.query_embedding`), and started at the
claim it overlaps the decisions of the batch before it (the worker claims the next batch while
deciding this one; the encoder's matrix products release the GIL). The readings are the same
`read_chunk` a helper makes, so the decisions are those of the other paths.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.chunk_row import ChunkRow
from bot.reading.chunks import ChunkAnswer, ChunkEmbedder, read_chunk
from bot.reading.text_reading import TextReader, TextReading

if TYPE_CHECKING:
    from bot.core.models import InboundMessage

log = logging.getLogger(__name__)

# Readings not taken (a message that failed before reading) are forgotten past this many.
MAX_PENDING = 4096


class InlineBatches:
    """Reads ahead like `bot.reading.pool.ReadingPool`, in a thread of this process instead."""

    def __init__(self, reader: TextReader, embedder: ChunkEmbedder) -> None:
        self._reader = reader
        self._embedder = embedder
        self._pending: OrderedDict[str, tuple[asyncio.Future[ChunkAnswer], int]] = OrderedDict()
        self.taken = 0
        self.missed = 0

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._pending.clear()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """Start reading and embedding `messages` in one call, off the event loop."""
        if not messages:
            return
        items = [(m.text, m.language) for m in messages]
        loop = asyncio.get_running_loop()
        done = loop.run_in_executor(None, read_chunk, self._reader, self._embedder, items)
        for index, message in enumerate(messages):
            self._pending[message.key] = (done, index)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)

    async def take(self, message: InboundMessage) -> TextReading | None:
        """`message`'s reading with its query vector; None: read it inline (not prefetched, or failed)."""
        entry = self._pending.pop(message.key, None)
        if entry is None:
            return None
        done, index = entry
        try:
            rows, vectors = await asyncio.shield(done)
        except Exception:
            log.exception("reading a claimed batch failed; its messages are read one at a time")
            self.missed += 1
            return None
        self.taken += 1
        return TextReading(*rows[index], embedding=(self._embedder.key, ChunkRow(vectors, index)))
