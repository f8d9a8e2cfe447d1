"""Reading a message's text: normalised text, language, sentiment, intents, risks, cues.

Why a pure function of its own: reading is the heaviest per-message CPU work of the pipeline
(language detection and the cue lexicons, a few tenths of a millisecond of Python each), and it
depends on nothing but the text, the author's language preference and the configured
languages. That is what lets `bot.reading.pool` run it in helper processes on other cores while
everything stateful (store, rules, spike counts, guards) stays in the worker, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.reading.language import LanguageDetector
from bot.reading.normalise import normalise_text
from bot.reading.signals import LexiconSignalReader, SentimentLabel, SignalReader

if TYPE_CHECKING:  # helper processes import this module: keep it free of the service's models
    from bot.core.context import MessageContext

ReadingTuple = tuple[str, str, str, SentimentLabel, float, frozenset[str], frozenset[str], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class TextReading:
    """What the text says, ready to copy onto a `MessageContext`."""

    text: str
    language: str
    language_method: str
    sentiment: SentimentLabel
    sentiment_score: float
    intents: frozenset[str]
    risks: frozenset[str]
    cues: tuple[str, ...]
    # (embedder key, query vector of `text`) when a reading helper embedded it too: a
    # `bot.core.chunk_row.ChunkRow`, the row of its chunk's matrix (the KB step scores chunks whole).
    embedding: tuple[str, Any] | None = None

    def as_tuple(self) -> ReadingTuple:
        """Plain values: what a helper process sends back (pickles several times faster)."""
        return (
            self.text,
            self.language,
            self.language_method,
            self.sentiment,
            self.sentiment_score,
            self.intents,
            self.risks,
            self.cues,
        )

    def apply(self, ctx: MessageContext) -> None:
        ctx.text = self.text
        ctx.language, ctx.language_method = self.language, self.language_method
        ctx.sentiment, ctx.sentiment_score = self.sentiment, self.sentiment_score
        ctx.intents, ctx.risks, ctx.cues = self.intents, self.risks, self.cues
        if self.embedding is not None:
            ctx.embedding = self.embedding


class ReadsText(Protocol):
    """What reading a message needs: a `TextReader`, or one built on first use (`on_demand`)."""

    def read(self, raw_text: str, preferred: str | None = None) -> TextReading: ...


class TextReader:
    """Language detector and signal reader together: `read(text, preferred)` is all it does."""

    def __init__(self, detector: LanguageDetector, signals: SignalReader | None = None) -> None:
        self.detector = detector
        self.signals = signals or LexiconSignalReader(detector.languages, detector.default)

    @classmethod
    def for_languages(cls, languages: Sequence[str], default: str) -> TextReader:
        return cls(LanguageDetector(languages, default))

    def read(self, raw_text: str, preferred: str | None = None) -> TextReading:
        text = normalise_text(raw_text)
        guess = self.detector.detect(text, preferred=preferred)
        signals = self.signals.read(text, guess.lang)
        return TextReading(
            text=text,
            language=guess.lang,
            language_method=guess.method,
            sentiment=signals.sentiment,
            sentiment_score=signals.sentiment_score,
            intents=frozenset(signals.intents),
            risks=frozenset(signals.risks),
            cues=tuple(signals.cues),
        )
