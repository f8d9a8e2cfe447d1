"""Text reading in helper processes, so one worker process can use every core.

Why processes: reading a text (language and cue lexicons) is pure-Python CPU work, and a Python
process runs Python on one core at a time. Only that pure function moves out: the store, the
rules, the spike counters and the guards stay in the worker process and see messages in order,
so decisions are exactly those of the inline path (a test holds it to that).

Why work stealing: a worker hands each claimed batch to the helpers at once (`prefetch`) and,
when a message's turn comes, takes the helpers' reading (`take`). A chunk not yet sent to a
helper is read inline instead, so a slow or overloaded helper never holds a message back. When a
chunk a helper is on is not back within `STEAL_AFTER_S`, the worker reads the newest chunk still
waiting for a helper (the helpers would get to it last) rather than idle, then waits briefly;
past `WAIT_S` it reads inline. The first wait is there because the worker is seldom idle when a
reading is late: its other messages' store calls and effects are due, and reading here holds the
event loop for a whole chunk (on its own thread, without the model). A helper without the model
returns a chunk in a few milliseconds, so the worker reads ahead only when the helpers really lag.
A dead helper costs only speed: it is restarted after a backoff and nothing is lost.

Why plain pipes and not `multiprocessing`: a helper is `python -m bot.reading.helper`, which
imports the reading modules only (spawn would re-import the service's main module), and its
answers are read by the event loop itself, with no feeder or manager threads competing with
the worker for the interpreter. Each helper gets at most `IN_FLIGHT` chunks at a time; the
rest wait in the worker, where they can still be stolen.

With the KB on (`embedder`), a helper also embeds each chunk's texts in one call: the encoder
is most of a decision's CPU, and in batches it costs a fraction of one text at a time. Given a
`reader` too, the worker takes chunks over as above, reading and embedding one here as a whole,
in a thread. Without a `reader` (the service's configuration with the KB on) the models live
in the helpers only, one copy of the language detector and the encoder instead of two (about
250 MB): the worker waits for its chunk rather than reading it, and a message comes back None
(read inline, loading the models here) only when no helper is running or a helper has not
answered for `HUNG_S`; such a helper is killed and restarted like a dead one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import sys
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.chunk_row import ChunkRow
from bot.reading.chunk_sizes import CHUNK, count_sizes, word_sizes
from bot.reading.chunks import ChunkAnswer, ChunkEmbedder, read_chunk
from bot.reading.helper import HEADER, encode_frame
from bot.reading.text_reading import TextReader, TextReading

if TYPE_CHECKING:
    from bot.core.models import InboundMessage

log = logging.getLogger(__name__)

# Small chunks: the first readings come back while the worker starts on the batch, and a chunk
# still amortises the inter-process hop over several messages (sizes: `bot.reading.chunk_sizes`).
# Chunks a helper holds at once: one being read, one waiting in its pipe.
IN_FLIGHT = 2
# Longest wait for a reading a helper is already on; past it the text is read inline.
WAIT_S = 0.05
# How long a worker waits for a chunk a helper is on before it reads a waiting chunk itself.
# The chunk may be the last of the `IN_FLIGHT` a helper holds: above that many chunk times
# without the model (8 texts, 2-3 ms each), below one with the encoder (about 20 ms), where
# reading ahead here (in a thread) is what keeps the worker busy.
STEAL_AFTER_S = 0.01
# Readings not taken (a message that failed before reading) are forgotten past this many.
MAX_PENDING = 4096
RESTART_BACKOFF_S = 5.0
# A helper that holds a chunk this long without answering is taken for hung (a chunk takes it
# milliseconds; seconds on a machine loaded many times over).
HUNG_S = 10.0
# How often a worker waiting for a helper looks whether the helpers are still there.
WAIT_SLICE_S = 0.25
START_TIMEOUT_S = 120.0


@dataclass(eq=False, slots=True)
class _Chunk:
    id: int
    items: list[tuple[str, str | None]]
    done: asyncio.Future[ChunkAnswer | None]
    sent: bool = False
    stolen: bool = False
    sent_at: float = 0.0


@dataclass(eq=False, slots=True)
class _Helper:
    process: asyncio.subprocess.Process
    in_flight: dict[int, _Chunk] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None


class ReadingPool:
    """`processes` helper processes reading texts ahead of a worker; see the module docstring."""

    def __init__(
        self,
        processes: int,
        languages: Sequence[str],
        default: str,
        *,
        chunk: int = CHUNK,
        reader: TextReader | None = None,
        embedder: ChunkEmbedder | None = None,
        steal_after_s: float = STEAL_AFTER_S,
    ) -> None:
        if processes < 1:
            raise ValueError("a reading pool needs at least one process")
        self.processes = processes
        self._languages = tuple(languages)
        self._default = default
        self._chunk = chunk
        self._reader = reader
        self._embedder = embedder
        self._steal_after_s = steal_after_s
        self._helpers: list[_Helper] = []
        self._queued: deque[_Chunk] = deque()
        self._pending: OrderedDict[str, tuple[_Chunk, int]] = OrderedDict()
        self._next_id = 0
        self._restart_at = 0.0
        self._restarting: asyncio.Task[None] | None = None
        self._closed = False
        self.taken = 0
        self.missed = 0
        self.read_while_waiting = 0

    @property
    def running(self) -> bool:
        """True while at least one helper is up."""
        return bool(self._helpers)

    @property
    def pids(self) -> set[int]:
        return {helper.process.pid for helper in self._helpers}

    async def start(self) -> None:
        """Start the helpers and wait until each has built its reader (a few seconds)."""
        self._closed = False
        await asyncio.gather(*(self._spawn() for _ in range(self.processes - len(self._helpers))))

    async def _spawn(self) -> None:
        spec = self._embedder.spec if self._embedder is not None else None
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.reading.helper",
            ",".join(self._languages),
            self._default,
            *([spec] if spec else []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        helper = _Helper(process)
        try:
            hello = await asyncio.wait_for(_read_frame(process), timeout=START_TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, pickle.UnpicklingError) as exc:
            process.kill()
            await process.wait()
            raise RuntimeError(f"text reading helper did not start: {exc!r}") from exc
        if not (isinstance(hello, tuple) and hello[0] == "ready"):
            process.kill()
            raise RuntimeError(f"text reading helper said {hello!r} instead of ready")
        helper.reader = asyncio.create_task(self._read_answers(helper), name=f"reading-helper-{process.pid}")
        self._helpers.append(helper)
        self._dispatch()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """Hand `messages` to the helpers; their readings are picked up by `take`."""
        if len(self._helpers) < self.processes:
            self._maybe_restart()
        if not self._helpers:
            return
        start = 0
        for size in self._chunk_sizes(messages):
            batch = messages[start : start + size]
            start += size
            chunk = _Chunk(
                self._next_id,
                [(m.text, m.language) for m in batch],
                asyncio.get_running_loop().create_future(),
            )
            self._next_id += 1
            self._queued.append(chunk)
            for index, message in enumerate(batch):
                self._pending[message.key] = (chunk, index)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        self._dispatch()

    def _chunk_sizes(self, messages: Sequence[InboundMessage]) -> list[int]:
        """By words when the helpers embed (a chunk's encoder time follows its words), else by count."""
        if self._embedder is None:
            return count_sizes(len(messages), self._chunk)
        return word_sizes([message.text for message in messages])

    def _dispatch(self) -> None:
        """Send queued chunks to helpers with room, least loaded first."""
        while self._queued and self._helpers:
            helper = min(self._helpers, key=lambda h: len(h.in_flight))
            if len(helper.in_flight) >= IN_FLIGHT:
                return
            chunk = self._queued.popleft()
            if chunk.stolen:
                continue
            stdin = helper.process.stdin
            assert stdin is not None
            try:
                stdin.write(encode_frame((chunk.id, chunk.items)))
            except (ConnectionError, RuntimeError) as exc:  # the helper is gone
                self._queued.appendleft(chunk)
                self._lost(helper, exc)
                continue
            chunk.sent = True
            chunk.sent_at = time.monotonic()
            helper.in_flight[chunk.id] = chunk

    async def take(self, message: InboundMessage) -> TextReading | None:
        """The helpers' reading of `message`; None means read it inline (see the module doc)."""
        entry = self._pending.pop(message.key, None)
        if entry is None:
            return None
        chunk, index = entry
        models_here = self._reader is not None or self._embedder is None
        if not chunk.done.done() and not models_here and not await self._wait_for_helpers(chunk):
            self.missed += 1  # the models are in the helpers only, and none could answer
            return None
        if not chunk.done.done():
            if not chunk.sent:  # still waiting for a helper: quicker to read it here
                if self._embedder is None or self._reader is None:  # reading alone: per message
                    chunk.stolen = True
                    self.missed += 1
                    return None
                await self._read_here(chunk)  # embedding too: the whole chunk in one call
            # A helper is on it: if it is late, rather than idle, read the last chunk still
            # waiting here (the helpers would get to it last), then look again.
            elif await self._late(chunk) and await self._read_last_queued():
                await asyncio.sleep(0)  # let a helper's answer in
        if not chunk.done.done():
            try:
                await asyncio.wait_for(asyncio.shield(chunk.done), timeout=WAIT_S)
            except TimeoutError:
                self.missed += 1
                return None
        answer = chunk.done.result()
        if answer is None:  # its helper died
            self.missed += 1
            return None
        rows, vectors = answer
        self.taken += 1
        if vectors is None or self._embedder is None:
            return TextReading(*rows[index])
        return TextReading(*rows[index], embedding=(self._embedder.key, ChunkRow(vectors, index)))

    async def _wait_for_helpers(self, chunk: _Chunk) -> bool:
        """Wait for `chunk`'s answer while a helper is up and none is hung; False: read inline."""
        while not chunk.done.done():
            if not self._helpers:
                chunk.stolen = True  # read inline now: a helper restarted later must not redo it
                return False
            await asyncio.wait((chunk.done,), timeout=WAIT_SLICE_S)
            now = time.monotonic()
            for helper in list(self._helpers):
                if any(now - held.sent_at > HUNG_S for held in helper.in_flight.values()):
                    self._lost(helper, TimeoutError(f"no answer in {HUNG_S:g} s"))
        return chunk.done.result() is not None

    async def _late(self, chunk: _Chunk) -> bool:
        """Whether `chunk` is still not back after `STEAL_AFTER_S` (the loop runs other work meanwhile)."""
        if self._steal_after_s > 0:
            await asyncio.wait((chunk.done,), timeout=self._steal_after_s)
        return not chunk.done.done()

    async def _read_last_queued(self) -> bool:
        """Read the newest chunk not yet sent to a helper, here; False when there is none."""
        if self._reader is None:
            return False
        while self._queued:
            chunk = self._queued.pop()
            if chunk.stolen or chunk.done.done():
                continue
            await self._read_here(chunk)
            self.read_while_waiting += len(chunk.items)
            return True
        return False

    async def _read_here(self, chunk: _Chunk) -> None:
        """Read (and embed) `chunk` in this process; embedding runs in a thread, off the loop."""
        assert self._reader is not None
        chunk.stolen = True  # no helper gets it meanwhile
        if self._embedder is None:
            answer = read_chunk(self._reader, None, chunk.items)
        else:
            answer = await asyncio.to_thread(read_chunk, self._reader, self._embedder, chunk.items)
        if not chunk.done.done():
            chunk.done.set_result(answer)

    async def _read_answers(self, helper: _Helper) -> None:
        try:
            while True:
                chunk_id, rows, vectors = await _read_frame(helper.process)
                chunk = helper.in_flight.pop(int(chunk_id))  # type: ignore[call-overload]
                if not chunk.done.done():
                    chunk.done.set_result((rows, vectors))  # type: ignore[arg-type]
                self._dispatch()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # EOF, a bad frame: the helper is of no more use
            self._lost(helper, exc)

    def _lost(self, helper: _Helper, exc: BaseException) -> None:
        """A helper died: its chunks are read inline, and a new one starts after a backoff."""
        if helper not in self._helpers:
            return
        self._helpers.remove(helper)
        for chunk in helper.in_flight.values():
            if not chunk.done.done():
                chunk.done.set_result(None)
        helper.in_flight.clear()
        if helper.process.returncode is None:
            helper.process.kill()
        if not self._closed:
            log.error("text reading helper %s failed (%r); reading inline meanwhile", helper.process.pid, exc)
            self._restart_at = time.monotonic() + RESTART_BACKOFF_S
            self._dispatch()

    def _maybe_restart(self) -> None:
        if self._closed or self._restarting is not None or time.monotonic() < self._restart_at:
            return

        async def restart() -> None:
            try:
                await self.start()
                log.info("text reading helpers running again: %s", sorted(self.pids))
            except Exception:
                log.exception("text reading helpers could not be restarted")
                self._restart_at = time.monotonic() + RESTART_BACKOFF_S
            finally:
                self._restarting = None

        self._restarting = asyncio.create_task(restart(), name="reading-helpers-restart")

    async def close(self) -> None:
        """Stop the helpers: end of input makes each exit; a stuck one is killed."""
        self._closed = True
        if self._restarting is not None:
            self._restarting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._restarting
        helpers, self._helpers = self._helpers, []
        for helper in helpers:
            if helper.reader is not None:
                helper.reader.cancel()
            if helper.process.stdin is not None:
                helper.process.stdin.close()
        for helper in helpers:
            try:
                await asyncio.wait_for(helper.process.wait(), timeout=5)
            except TimeoutError:
                helper.process.kill()
                await helper.process.wait()
            for chunk in helper.in_flight.values():
                if not chunk.done.done():
                    chunk.done.set_result(None)
        for chunk in self._queued:
            if not chunk.done.done():
                chunk.done.set_result(None)
        self._queued.clear()
        self._pending.clear()


async def _read_frame(process: asyncio.subprocess.Process) -> tuple[object, ...]:
    stdout = process.stdout
    assert stdout is not None
    (size,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
    value = pickle.loads(await stdout.readexactly(size))
    if not isinstance(value, tuple):
        raise ValueError(f"unexpected frame from text reading helper: {type(value).__name__}")
    return value
