"""Analysers: each fills in part of the `MessageContext` before the router decides.

The pipeline lists them explicitly, in order. Language and signals are short pure-Python CPU work
and run inline; anything slower (embeddings, FAISS) goes off the loop in its own analyser.
"""

from __future__ import annotations

from typing import Protocol

from bot.accounts import AccountDirectory
from bot.context import MessageContext
from bot.language import LanguageDetector
from bot.normalise import echo_fingerprint, normalise_text
from bot.signals import LexiconSignalReader, SignalReader
from bot.store.base import Store

ECHO_KIND = "echo"


class Analyser(Protocol):
    """Learns something about a message; must not publish or decide the action."""

    async def analyse(self, ctx: MessageContext) -> None: ...


class AuthorAnalyser:
    """Own accounts, bots, influence, known customers; and echoes of what we published."""

    def __init__(self, directory: AccountDirectory, store: Store) -> None:
        self._directory = directory
        self._store = store

    async def analyse(self, ctx: MessageContext) -> None:
        ctx.author = self._directory.profile(ctx.message)
        fingerprint = echo_fingerprint(ctx.message.text)
        if fingerprint is not None:
            ctx.echo = await self._store.get_record(ECHO_KIND, fingerprint) is not None


class TextAnalyser:
    """Normalised text, language, sentiment, intents and risk topics."""

    def __init__(self, detector: LanguageDetector, reader: SignalReader | None = None) -> None:
        self._detector = detector
        self._reader = reader or LexiconSignalReader()

    def analyse_now(self, ctx: MessageContext) -> None:
        """Synchronous body, also used directly by `eval` and benchmarks."""
        ctx.text = normalise_text(ctx.message.text)
        guess = self._detector.detect(ctx.text, preferred=ctx.message.language)
        ctx.language, ctx.language_method = guess.lang, guess.method
        signals = self._reader.read(ctx.text, guess.lang)
        ctx.sentiment = signals.sentiment
        ctx.sentiment_score = signals.sentiment_score
        ctx.intents = frozenset(signals.intents)
        ctx.risks = frozenset(signals.risks)
        ctx.cues = tuple(signals.cues)

    async def analyse(self, ctx: MessageContext) -> None:
        # Inline on purpose: ~0.1-0.3 ms of pure-Python CPU under the GIL (measured by
        # `bench/language.py`), where a thread hop costs as much and queues behind the batch.
        self.analyse_now(ctx)
