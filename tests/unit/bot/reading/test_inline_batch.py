"""A replica with no reading helper: each claimed batch read and embedded in one call, off the loop."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from bot.config import load_settings
from bot.engine.runtime import _text_reading
from bot.reading.chunk_sizes import word_sizes
from bot.reading.inline_batch import InlineBatches
from bot.reading.text_reading import TextReader
from retrieval.embedders import Vectors
from retrieval.query_embedding import QueryEmbedder
from tests.conftest import make_message
from tests.unit.retrieval.conftest import CountingEmbedder

LANGS = ("es", "en", "pt")


class ThreadNoting(CountingEmbedder):
    """Counts calls and notes which thread each ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[int] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.threads.append(threading.get_ident())
        return super().embed(texts)


async def test_the_claimed_batch_is_embedded_in_the_helpers_chunks_in_a_thread() -> None:
    counting = ThreadNoting()
    embedder = QueryEmbedder(counting)
    reader = TextReader.for_languages(LANGS, "es")
    batches = InlineBatches(reader, embedder)
    messages = [make_message(f"i{i}", f"¿Cómo cambio la CLAVE del wifi número {i}?") for i in range(40)]
    batches.prefetch(messages)
    readings = [await batches.take(message) for message in reversed(messages)][::-1]
    sizes = word_sizes([m.text for m in messages])
    assert [len(call) for call in counting.calls] == sizes, "one call per chunk, cut as for a helper"
    assert len(sizes) < len(messages)
    assert threading.get_ident() not in counting.threads, "embedded off the event loop's thread"
    for message, reading in zip(messages, readings, strict=True):
        assert reading is not None and reading.embedding is not None
        assert dataclasses.replace(reading, embedding=None) == reader.read(message.text, message.language)
        key, row = reading.embedding
        assert key == embedder.key
        expected = CountingEmbedder().embed([reader.read(message.text).text])[0]
        assert np.allclose(row.vector, expected), "the vector of the normalised text, as the KB step makes it"


async def test_a_message_not_prefetched_or_taken_twice_is_read_inline() -> None:
    batches = InlineBatches(TextReader.for_languages(LANGS, "es"), QueryEmbedder(CountingEmbedder()))
    message = make_message("once", "router roto")
    assert await batches.take(make_message("never")) is None
    batches.prefetch([message])
    assert await batches.take(message) is not None
    assert await batches.take(message) is None


async def test_a_failed_batch_means_read_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingEmbedder()
    batches = InlineBatches(TextReader.for_languages(LANGS, "es"), QueryEmbedder(counting))

    def broken(texts: Sequence[str]) -> Vectors:
        raise RuntimeError("encoder out of memory")

    monkeypatch.setattr(counting, "embed", broken)
    message = make_message("broken", "router roto")
    batches.prefetch([message])
    assert await batches.take(message) is None
    assert batches.missed == 1


def test_with_the_kb_and_no_helper_the_worker_reads_ahead_in_batches() -> None:
    settings = load_settings(reading_processes=0)
    embedder = QueryEmbedder(CountingEmbedder())
    _reader, ahead = _text_reading(settings, embedder)
    assert isinstance(ahead, InlineBatches)
    _reader, ahead = _text_reading(settings, None)
    assert ahead is None, "without the KB, reading inline per message is cheaper than a thread hop"
