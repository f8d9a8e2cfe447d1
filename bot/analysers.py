"""Analysers: each fills in part of the `MessageContext` before the router decides.

The pipeline lists them explicitly, in order. Language and signals are short pure-Python CPU work
and run inline, or ahead in helper processes (`bot.reading_pool`); anything slower (embeddings,
FAISS) goes off the loop in its own analyser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.accounts import AccountDirectory
from bot.context import MessageContext
from bot.models import InboundMessage
from bot.reading_pool import ReadingPool
from bot.store.base import Store
from bot.text_reading import TextReader

ECHO_KIND = "echo"


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

    Runs after `TextAnalyser`, whose reading carries the text's echo fingerprint.
    """

    def __init__(self, directory: AccountDirectory, store: Store) -> None:
        self._directory = directory
        self._store = store

    async def analyse(self, ctx: MessageContext) -> None:
        ctx.author = self._directory.profile(ctx.message)
        fingerprint = ctx.echo_fingerprint
        if fingerprint is not None:
            ctx.echo = await self._store.get_record(ECHO_KIND, fingerprint) is not None


class TextAnalyser:
    """Normalised text, language, sentiment, intents and risk topics (`bot.text_reading`).

    With a `ReadingPool`, helper processes read claimed batches ahead of the worker; a reading
    that is not back yet when the message's turn comes is done inline, never waited for.
    """

    def __init__(self, reader: TextReader, pool: ReadingPool | None = None) -> None:
        self._reader = reader
        self.pool = pool

    def analyse_now(self, ctx: MessageContext) -> None:
        """Synchronous and inline, also used directly by `eval` and benchmarks."""
        self._reader.read(ctx.message.text, ctx.message.language).apply(ctx)

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        if self.pool is not None:
            self.pool.prefetch(messages)

    async def start(self) -> None:
        if self.pool is not None:
            await self.pool.start()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def analyse(self, ctx: MessageContext) -> None:
        # Without helpers, inline on purpose: ~0.1-0.5 ms of pure-Python CPU under the GIL
        # (`bench/language.py`), where a thread hop costs as much and queues behind the batch.
        reading = await self.pool.take(ctx.message) if self.pool is not None else None
        if reading is None:
            self.analyse_now(ctx)
        else:
            reading.apply(ctx)
