"""Each claimed batch read and embedded by the worker itself, in a thread: a replica with no helper.

Why: with the KB on and no reading helper (a replica with one CPU, or sharing its CPUs with
other replicas), the KB step used to embed every message on its own when its decision came:
one encoder call per message, on the decisions' critical path, each a thread hop. Now one job
per claimed batch, started at the claim, reads and embeds it in a thread, so it overlaps the
decisions of the batch before it (the worker claims the next batch while deciding this one;
the encoder's matrix products release the GIL). The job cuts the batch into the chunks a helper
would get (`bot.reading.chunk_sizes.word_sizes`), each in one encoder call (about the same CPU
a text as the whole batch in one), and hands each chunk's answer over as soon as it is made:
the first decisions need not wait for the whole batch, and the readings, vectors and the KB
step's per-chunk products are exactly those of the helper path (`read_chunk` on the same cuts).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.chunk_row import ChunkRow
from bot.reading.chunk_sizes import word_sizes
from bot.reading.chunks import ChunkAnswer, ChunkEmbedder, read_chunk
from bot.reading.pool import MAX_PENDING  # the same bound on readings never taken
from bot.reading.text_reading import TextReader, TextReading

if TYPE_CHECKING:
    from bot.core.models import InboundMessage

log = logging.getLogger(__name__)


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
        """Start reading and embedding `messages`, chunk after chunk, in one job off the event loop."""
        if not messages:
            return
        loop = asyncio.get_running_loop()
        chunks: list[tuple[list[tuple[str, str | None]], asyncio.Future[ChunkAnswer]]] = []
        start = 0
        for size in word_sizes([m.text for m in messages]):
            batch = messages[start : start + size]
            start += size
            done: asyncio.Future[ChunkAnswer] = loop.create_future()
            chunks.append(([(m.text, m.language) for m in batch], done))
            for index, message in enumerate(batch):
                self._pending[message.key] = (done, index)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        loop.run_in_executor(None, self._read_all, loop, chunks)

    def _read_all(
        self,
        loop: asyncio.AbstractEventLoop,
        chunks: Sequence[tuple[list[tuple[str, str | None]], asyncio.Future[ChunkAnswer]]],
    ) -> None:
        """In a worker thread: each chunk's answer (or error) is handed to the loop as it is made."""
        for items, done in chunks:
            try:
                answer = read_chunk(self._reader, self._embedder, items)
            except Exception as exc:
                loop.call_soon_threadsafe(_settle, done, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, done, answer, None)

    async def take(self, message: InboundMessage) -> TextReading | None:
        """`message`'s reading with its query vector; None: read it inline (not prefetched, or failed)."""
        entry = self._pending.pop(message.key, None)
        if entry is None:
            return None
        done, index = entry
        try:
            rows, vectors = await asyncio.shield(done)
        except Exception:
            log.exception("reading a claimed chunk failed; its messages are read one at a time")
            self.missed += 1
            return None
        self.taken += 1
        return TextReading(*rows[index], embedding=(self._embedder.key, ChunkRow(vectors, index)))


def _settle(done: asyncio.Future[ChunkAnswer], answer: ChunkAnswer | None, exc: Exception | None) -> None:
    if done.done():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        assert answer is not None
        done.set_result(answer)
