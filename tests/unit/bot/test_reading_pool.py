"""Text reading in helper processes: same readings as inline, and a dead helper loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import reading_pool
from bot.reading_pool import ReadingPool
from bot.text_reading import TextReader
from bot.traffic import read_messages
from tests.conftest import make_message

SAMPLES = Path(__file__).resolve().parents[3] / "bot" / "samples" / "traffic.jsonl"
LANGS = ("es", "en", "pt")
HELPER_MARGIN_S = 2.0


@pytest.fixture(scope="module")
def pool() -> Iterator[ReadingPool]:
    started = ReadingPool(1, LANGS, "es")
    started.start()
    try:
        yield started
    finally:
        started.close()


async def test_helper_readings_equal_inline_readings(pool: ReadingPool) -> None:
    items, _ = read_messages(SAMPLES)
    messages = [item.message for item in items]
    inline = TextReader.for_languages(LANGS, "es")
    pool.prefetch(messages)
    await asyncio.sleep(HELPER_MARGIN_S)  # 30 short texts take the helper a few milliseconds
    readings = [await pool.take(message) for message in messages]
    assert all(reading is not None for reading in readings), "the helper had read them all"
    for message, reading in zip(messages, readings, strict=True):
        assert reading == inline.read(message.text, message.language), message.text
    languages = {r.language for r in readings if r is not None}
    assert languages == {"es", "en", "pt"}, "the sample covers all three languages"


async def test_take_without_prefetch_means_read_inline(pool: ReadingPool) -> None:
    assert await pool.take(make_message("never-prefetched")) is None


async def test_author_preference_travels_to_the_helper(pool: ReadingPool) -> None:
    message = make_message("pref", "hmm 👍", language="pt")
    pool.prefetch([message])
    await asyncio.sleep(HELPER_MARGIN_S)
    reading = await pool.take(message)
    assert reading is not None
    assert (reading.language, reading.language_method) == ("pt", "preference")


async def test_a_killed_helper_costs_speed_not_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_pool, "RESTART_BACKOFF_S", 0.0)
    pool = ReadingPool(1, LANGS, "es")
    pool.start()
    try:
        assert pool.running and len(pool.pids) == 1
        for pid in pool.pids:  # the helper dies as a real one would: SIGKILL
            os.kill(pid, signal.SIGKILL)
        messages = [make_message(f"k{i}", "Me han cobrado dos veces la factura") for i in range(20)]
        # Hand the batch over until the pool notices the dead helper (submit or result fails).
        readings = []
        for _ in range(50):
            pool.prefetch(messages)
            readings = [await pool.take(m) for m in messages]
            if not pool.running:
                break
            await asyncio.sleep(0.05)
        assert not pool.running, "the broken pool was dropped"
        assert readings == [None] * len(messages), "every message is read inline instead"
        # The next batch starts a fresh pool (a new process: seconds), which reads again.
        pool.prefetch(messages)
        assert pool.running
        reading = None
        for attempt in range(60):
            pool.prefetch(messages[attempt % len(messages) :][:1])
            await asyncio.sleep(0.5)
            reading = await pool.take(messages[attempt % len(messages)])
            if reading is not None:
                break
        assert reading is not None and "complaint" in reading.intents
    finally:
        pool.close()


def test_chunks_start_small_and_cover_the_batch() -> None:
    pool = ReadingPool(1, LANGS, "es")
    for total in (1, 2, 3, 7, 64, 65):
        sizes = pool._chunk_sizes(total)
        assert sum(sizes) == total and max(sizes) <= reading_pool.CHUNK
    assert pool._chunk_sizes(64)[:2] == [2, 4]
