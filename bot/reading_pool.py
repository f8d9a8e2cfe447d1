"""Text reading in helper processes, so one worker process can use every core.

Why processes: reading a text (language and cue lexicons) is pure-Python CPU work, and a Python
process runs Python on one core at a time. Only that pure function moves out: the store, the
rules, the spike counters and the guards stay in the worker process and see messages in order,
so decisions are exactly those of the inline path (a test holds it to that).

Why work stealing: a worker hands each claimed batch to the helpers at once (`prefetch`) and,
when a message's turn comes, takes the helpers' reading (`take`). A reading a helper is working
on is waited for (briefly: the worker has other messages' store round trips to overlap it
with); one still queued behind other chunks is read inline instead, so a slow or overloaded
helper never holds a message back, and a dead one costs only speed: the pool is rebuilt on the
next batch and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.models import InboundMessage
from bot.text_reading import ReadingTuple, TextReader, TextReading

log = logging.getLogger(__name__)

# Small chunks: the first readings come back while the worker starts on the batch, and a chunk
# still amortises the inter-process hop (about 0.1 ms) over several messages. The first chunks
# of a batch are smaller still, because the worker needs them at once.
CHUNK = 8
FIRST_CHUNKS = (2, 4)
# Longest wait for a reading a helper is already on; past it the text is read inline.
WAIT_S = 0.05
# Readings not taken (a message that failed before reading) are forgotten past this many.
MAX_PENDING = 4096
RESTART_BACKOFF_S = 5.0

_reader: TextReader | None = None


def _start_helper(languages: Sequence[str], default: str) -> None:
    """Helper process initialiser: build the reader once (lexicons, lingua models)."""
    global _reader
    _reader = TextReader.for_languages(languages, default)


def _read_chunk(items: Sequence[tuple[str, str | None]]) -> list[ReadingTuple]:
    assert _reader is not None, "helper started without its reader"
    return [_reader.read(text, preferred).as_tuple() for text, preferred in items]


def _ping() -> int:
    """The helper's pid, once its reader is built (`start` waits for every helper)."""
    assert _reader is not None, "helper started without its reader"
    return os.getpid()


class ReadingPool:
    """`processes` helper processes reading texts ahead of a worker; see the module docstring."""

    def __init__(self, processes: int, languages: Sequence[str], default: str, *, chunk: int = CHUNK) -> None:
        if processes < 1:
            raise ValueError("a reading pool needs at least one process")
        self.processes = processes
        self._languages = tuple(languages)
        self._default = default
        self._chunk = chunk
        self._executor: ProcessPoolExecutor | None = None
        self._pending: OrderedDict[str, tuple[Future[list[ReadingTuple]], int]] = OrderedDict()
        self._retry_at = 0.0
        self.taken = 0
        self.missed = 0
        self.pids: set[int] = set()

    @property
    def running(self) -> bool:
        """False after a helper died, until the next batch starts a fresh pool."""
        return self._executor is not None

    def start(self) -> None:
        """Start the helpers and wait until each has built its reader (a few seconds)."""
        executor = self._ensure()
        if executor is not None:
            pings = [executor.submit(_ping) for _ in range(self.processes)]
            self.pids = {ping.result() for ping in pings}

    def _ensure(self) -> ProcessPoolExecutor | None:
        if self._executor is None and time.monotonic() >= self._retry_at:
            # `spawn`: a helper must not inherit the worker's threads and locks (SQLite thread,
            # event loop), which `fork` would copy mid-state.
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_helper,
                initargs=(self._languages, self._default),
            )
        return self._executor

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """Hand `messages` to the helpers; their readings are picked up by `take`."""
        executor = self._ensure()
        if executor is None:
            return
        try:
            start = 0
            for size in self._chunk_sizes(len(messages)):
                chunk = messages[start : start + size]
                start += size
                future = executor.submit(_read_chunk, [(m.text, m.language) for m in chunk])
                for index, message in enumerate(chunk):
                    self._pending[message.key] = (future, index)
        except (BrokenProcessPool, RuntimeError) as exc:
            self._broken(exc)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)

    def _chunk_sizes(self, total: int) -> list[int]:
        sizes: list[int] = []
        for size in (*FIRST_CHUNKS, *[self._chunk] * (total // self._chunk + 1)):
            if sum(sizes) >= total:
                break
            sizes.append(min(size, self._chunk, total - sum(sizes)))
        return sizes

    async def take(self, message: InboundMessage) -> TextReading | None:
        """The helpers' reading of `message`; None means read it inline (see the module doc)."""
        entry = self._pending.pop(message.key, None)
        if entry is None:
            return None
        future, index = entry
        if not future.done():
            if not future.running():  # queued behind other chunks: quicker to read it here
                self.missed += 1
                return None
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), timeout=WAIT_S)
            except Exception:  # too slow, or the helper died: read inline
                self.missed += 1
                return None
        error = future.exception()
        if error is not None:
            if isinstance(error, BrokenProcessPool):
                self._broken(error)
            self.missed += 1
            return None
        self.taken += 1
        return TextReading(*future.result()[index])

    def _broken(self, exc: BaseException) -> None:
        """A helper died: read inline for a while, then start a fresh pool."""
        if self._executor is None:
            return
        log.error("text reading helpers failed (%s); reading inline, restarting them shortly", exc)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = None
        self._pending.clear()
        self._retry_at = time.monotonic() + RESTART_BACKOFF_S

    def close(self) -> None:
        executor, self._executor = self._executor, None
        self._pending.clear()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
