"""Text reading in helper processes: same readings as inline, and a dead helper loses nothing."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import numpy as np
import pytest

from bot.cli.traffic import read_messages
from bot.reading import pool as reading_pool
from bot.reading.chunk_sizes import CHUNK, MOST
from bot.reading.pool import ReadingPool
from bot.reading.text_reading import TextReader
from retrieval.query_embedding import QueryEmbedder
from tests.conftest import make_message
from tests.paths import SAMPLE_TRAFFIC as SAMPLES
from tests.unit.retrieval.conftest import CountingEmbedder

LANGS = ("es", "en", "pt")
HELPER_MARGIN_S = 2.0


@pytest.fixture
async def pool() -> AsyncIterator[ReadingPool]:
    started = ReadingPool(1, LANGS, "es")
    await started.start()
    try:
        yield started
    finally:
        await started.close()


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
    await pool.start()
    try:
        assert pool.running and len(pool.pids) == 1
        killed = pool.pids
        for pid in killed:  # the helper dies as a real one would: SIGKILL
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
        # The next batches start a new helper in the background (a new process: seconds).
        reading = None
        for _ in range(120):
            pool.prefetch(messages[:1])
            await asyncio.sleep(0.25)
            reading = await pool.take(messages[0])
            if reading is not None:
                break
        assert pool.running and pool.pids.isdisjoint(killed)
        assert reading is not None and "complaint" in reading.intents
    finally:
        await pool.close()
    assert not pool.running


def test_chunks_start_small_and_cover_the_batch() -> None:
    pool = ReadingPool(1, LANGS, "es")
    for total in (1, 2, 3, 7, 64, 65):
        sizes = pool._chunk_sizes([make_message(f"c{i}", "hola") for i in range(total)])
        assert sum(sizes) == total and max(sizes) <= CHUNK
    assert pool._chunk_sizes([make_message(f"c{i}", "hola") for i in range(64)])[:2] == [2, 4]


def test_with_the_encoder_a_long_text_makes_its_chunk_smaller() -> None:
    embedder, _counting = _query_embedder()
    pool = ReadingPool(1, LANGS, "es", embedder=embedder)
    short = [make_message(f"s{i}", "no tengo internet") for i in range(40)]
    long = [make_message(f"l{i}", "la fibra sigue caída " * 20) for i in range(40)]

    assert pool._chunk_sizes(short)[2] > CHUNK, "short texts: more of them per encoder call"
    assert max(pool._chunk_sizes(long)) < CHUNK, "long texts: fewer, so a chunk costs about the same"


async def test_a_chunk_not_yet_sent_is_read_inline_at_once(pool: ReadingPool) -> None:
    messages = [make_message(f"s{i}", f"pregunta número {i} sobre mi factura") for i in range(64)]
    pool.prefetch(messages)
    # Only IN_FLIGHT chunks are with the helper; the last message's chunk is still here.
    assert await pool.take(messages[-1]) is None
    assert pool.missed >= 1


async def test_close_ends_the_helpers() -> None:
    pool = ReadingPool(1, LANGS, "es")
    await pool.start()
    pids = pool.pids
    await pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_helper_protocol_answers_each_chunk_then_ends_at_eof() -> None:
    import io

    from bot.reading.helper import read_frame, serve, write_frame

    requests = io.BytesIO()
    write_frame(requests, (7, [("¿Cómo reinicio el router?", None), ("My bill is wrong again!!", None)]))
    requests.seek(0)
    answers = io.BytesIO()
    serve(list(LANGS), "es", requests, answers)
    answers.seek(0)
    hello = read_frame(answers)
    assert hello is not None and hello[0] == "ready"
    frame = read_frame(answers)
    assert frame is not None
    chunk_id, rows, vectors = frame
    assert chunk_id == 7 and [row[1] for row in rows] == ["es", "en"]
    assert vectors is None, "no embedder asked for: reading only"
    assert read_frame(answers) is None


def test_helper_protocol_with_an_embedder_answers_one_vector_per_text() -> None:
    import io

    from bot.reading.helper import read_frame, serve, write_frame

    embedder, _ = _query_embedder()
    requests = io.BytesIO()
    write_frame(requests, (3, [("Hola", None), ("Hola", None), ("adiós", None)]))
    requests.seek(0)
    answers = io.BytesIO()
    serve(list(LANGS), "es", requests, answers, embedder.spec)
    answers.seek(0)
    read_frame(answers)
    frame = read_frame(answers)
    assert frame is not None
    _chunk_id, _rows, vectors = frame
    assert vectors.shape == (3, embedder.embedder.dim)
    assert np.array_equal(vectors[0], vectors[1]) and not np.array_equal(vectors[0], vectors[2])


async def test_while_a_helper_reads_the_worker_reads_the_last_waiting_chunk() -> None:
    inline = TextReader.for_languages(LANGS, "es")
    pool = ReadingPool(1, LANGS, "es", reader=inline, steal_after_s=0)  # reads ahead at once
    await pool.start()
    try:
        messages = [make_message(f"w{i}", f"¿Cuándo llega mi factura número {i}?") for i in range(64)]
        pool.prefetch(messages)
        readings = [await pool.take(message) for message in messages]
        assert pool.read_while_waiting > 0, "the worker read chunks instead of idling"
        # Where the worker, reading from the back, meets the helper, reading from the front, a
        # chunk may still be waiting: its messages come back None (read inline by the caller),
        # more often on a busy machine. Every message is accounted for either way.
        assert pool.taken + pool.missed == len(messages)
        assert pool.taken >= pool.read_while_waiting
        expected = [inline.read(m.text, m.language) for m in messages]
        assert all(got in (None, want) for got, want in zip(readings, expected, strict=True))
    finally:
        await pool.close()


async def test_a_worker_waits_for_a_helper_in_time_instead_of_reading_ahead() -> None:
    """Reading here holds the event loop for a whole chunk: while the helper's answers come
    within `steal_after_s`, the worker leaves every chunk to it."""
    inline = TextReader.for_languages(LANGS, "es")
    pool = ReadingPool(1, LANGS, "es", reader=inline, steal_after_s=30.0)
    await pool.start()
    try:
        messages = [make_message(f"h{i}", f"¿Cuándo llega mi factura número {i}?") for i in range(64)]
        pool.prefetch(messages)
        readings = [await pool.take(message) for message in messages]
        assert pool.read_while_waiting == 0
        assert (pool.taken, pool.missed) == (64, 0), "every reading came from the helper"
        assert readings == [inline.read(m.text, m.language) for m in messages]
    finally:
        await pool.close()


def _query_embedder() -> tuple[QueryEmbedder, CountingEmbedder]:
    counting = CountingEmbedder()
    return QueryEmbedder(counting), counting


async def test_a_helper_embeds_its_chunk_as_the_worker_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_pool, "WAIT_S", 60.0)  # wait for the helper, however busy the machine
    embedder, counting = _query_embedder()
    reader = TextReader.for_languages(LANGS, "es")
    pool = ReadingPool(1, LANGS, "es", reader=reader, embedder=embedder)
    await pool.start()
    try:
        messages = [make_message("e1", "¿Cómo cambio la CLAVE del wifi?"), make_message("e2", "router roto")]
        pool.prefetch(messages)  # one first chunk of two, sent to the helper at once
        readings = [await pool.take(message) for message in messages]
    finally:
        await pool.close()
    assert counting.calls == [], "the helper embedded the chunk, not this process"
    for message, reading in zip(messages, readings, strict=True):
        assert reading is not None and reading.embedding is not None
        key, vector = reading.embedding
        assert key == embedder.key
        expected = counting.embed([reader.read(message.text).text])[0]
        assert np.allclose(vector, expected), "the vector of the normalised text, as the KB step makes it"


async def test_a_chunk_taken_over_by_the_worker_is_embedded_in_one_call() -> None:
    embedder, counting = _query_embedder()
    pool = ReadingPool(1, LANGS, "es", reader=TextReader.for_languages(LANGS, "es"), embedder=embedder)
    await pool.start()
    try:
        messages = [make_message(f"w{i}", f"pregunta número {i} sobre mi factura") for i in range(64)]
        pool.prefetch(messages)
        reading = await pool.take(messages[-1])  # its chunk is still waiting for the helper
        following = await pool.take(messages[-2])
    finally:
        await pool.close()
    assert reading is not None and reading.embedding is not None
    assert following is not None and following.embedding is not None, "same chunk: already read here"
    assert len(counting.calls) == 1 and messages[-1].text.casefold() in counting.calls[0][-1].casefold()
    assert 1 < len(counting.calls[0]) <= MOST


async def test_with_the_models_in_the_helpers_the_worker_waits_rather_than_reads() -> None:
    embedder, counting = _query_embedder()
    pool = ReadingPool(1, LANGS, "es", embedder=embedder)  # no reader: nothing to read with here
    await pool.start()
    try:
        messages = [make_message(f"h{i}", f"pregunta número {i} sobre mi factura") for i in range(64)]
        pool.prefetch(messages)  # most chunks wait here for the helper's room
        readings = [await pool.take(message) for message in reversed(messages)]
    finally:
        await pool.close()
    assert all(r is not None and r.embedding is not None for r in readings), "all from the helper"
    assert counting.calls == [], "nothing embedded in this process"
    assert (pool.taken, pool.missed) == (64, 0)


async def test_a_hung_helper_is_replaced_and_its_messages_read_inline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reading_pool, "HUNG_S", 0.5)
    monkeypatch.setattr(reading_pool, "RESTART_BACKOFF_S", 0.0)
    embedder, _ = _query_embedder()
    pool = ReadingPool(1, LANGS, "es", embedder=embedder)
    await pool.start()
    try:
        (hung,) = pool.pids
        os.kill(hung, signal.SIGSTOP)  # alive but never answering
        messages = [make_message(f"g{i}", "Me han cobrado dos veces la factura") for i in range(20)]
        pool.prefetch(messages)
        readings = [await pool.take(message) for message in messages]
        assert readings == [None] * len(messages), "read inline by the caller"
        assert hung not in pool.pids
        with pytest.raises(ProcessLookupError):  # killed, not left stopped
            for _ in range(100):
                os.kill(hung, 0)
                await asyncio.sleep(0.05)
        reading = None
        for _ in range(120):  # the next batches start a new helper in the background
            pool.prefetch(messages[:1])
            reading = await pool.take(messages[0])
            if reading is not None:
                break
            await asyncio.sleep(0.25)
        assert reading is not None and reading.embedding is not None
    finally:
        await pool.close()
