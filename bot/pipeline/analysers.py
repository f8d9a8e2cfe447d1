"""Analysers: each fills in part of the `MessageContext` before the router decides.

The pipeline lists them explicitly, in order. Language and signals are short pure-Python CPU work
and run inline, or ahead in helper processes (`bot.reading.pool`); anything slower (embeddings,
FAISS) goes off the loop in its own analyser.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.core.context import MessageContext
from bot.core.models import InboundMessage, Record
from bot.core.records import RecordKind
from bot.pipeline.accounts import AccountDirectory
from bot.reading.ahead import ReadsAhead
from bot.reading.normalise import echo_fingerprint
from bot.reading.text_reading import ReadsText
from bot.store.base import Store

# Look-ups made ahead and not used (a message that failed earlier) are forgotten past this many.
MAX_PREFETCHED = 4096


class Analyser(Protocol):
    """Learns something about a message; must not publish or decide the action."""

    async def analyse(self, ctx: MessageContext) -> None: ...


@runtime_checkable
class Prefetcher(Protocol):
    """An analyser that can start on a whole claimed batch before the pipeline reaches it.

    It may own helper processes: `start` brings them up and `close` stops them.
    """

    def prefetch(self, messages: Sequence[InboundMessage]) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


class AuthorAnalyser:
    """Own accounts, bots, influence, known customers; and echoes of what we published.

    Echoes are looked up for a whole claimed batch in one store call (`prefetch`), not one call
    per message. Looking up at claim time is safe: an echo of a reply can only arrive after that
    reply was published, so never in a batch claimed before the reply was even queued.
    """

    def __init__(self, directory: AccountDirectory, store: Store) -> None:
        self._directory = directory
        self._store = store
        self._echoes: OrderedDict[str, tuple[asyncio.Future[dict[str, Record]], str | None]] = OrderedDict()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        fingerprints = {m.key: echo_fingerprint(m.text) for m in messages}
        wanted = [fp for fp in fingerprints.values() if fp is not None]
        found = asyncio.ensure_future(self._store.get_records(RecordKind.ECHO, wanted))
        # A failed look-up is retried per message in `analyse`; never "exception never retrieved".
        found.add_done_callback(lambda f: f.cancelled() or f.exception())
        for key, fingerprint in fingerprints.items():
            self._echoes[key] = (found, fingerprint)
        while len(self._echoes) > MAX_PREFETCHED:
            self._echoes.popitem(last=False)

    async def analyse(self, ctx: MessageContext) -> None:
        ctx.author = self._directory.profile(ctx.message)
        ahead = self._echoes.pop(ctx.message.key, None)
        fingerprint = ahead[1] if ahead is not None else echo_fingerprint(ctx.message.text)
        if fingerprint is None:
            return
        if ahead is not None:
            with contextlib.suppress(Exception):
                ctx.echo = fingerprint in await ahead[0]
                return
        ctx.echo = await self._store.get_record(RecordKind.ECHO, fingerprint) is not None

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._echoes.clear()


class TextAnalyser:
    """Normalised text, language, sentiment, intents and risk topics (`bot.reading.text_reading`).

    With a `ReadingPool`, helper processes read claimed batches ahead of the worker; a reading
    the helpers cannot give in time is done inline (`bot.reading.pool`). With `InlineBatches`
    (the KB on, no helper) a thread of the worker reads and embeds each batch in one call.
    """

    def __init__(self, reader: ReadsText, pool: ReadsAhead | None = None) -> None:
        self._reader = reader
        self._pool = pool

    def analyse_now(self, ctx: MessageContext) -> None:
        """Synchronous and inline, also used directly by `eval` and benchmarks."""
        self._reader.read(ctx.message.text, ctx.message.language).apply(ctx)

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        if self._pool is not None:
            self._pool.prefetch(messages)

    async def start(self) -> None:
        if self._pool is not None:
            await self._pool.start()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def analyse(self, ctx: MessageContext) -> None:
        # Without helpers, inline on purpose: ~0.1-0.5 ms of pure-Python CPU under the GIL
        # (`bench/language.py`), where a thread hop costs as much and queues behind the batch.
        reading = await self._pool.take(ctx.message) if self._pool is not None else None
        if reading is None:
            self.analyse_now(ctx)
        else:
            reading.apply(ctx)
