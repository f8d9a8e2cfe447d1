"""Group commit for the SQLite store: many concurrent calls, one transaction, one thread.

Why: every store call in its own transaction costs a thread hop and a commit, and with dozens
of messages in flight the single SQLite thread spends its time committing. Calls that arrive
while a transaction is running wait in a queue and are then run together under a single COMMIT.
A failing call must roll back alone: the group runs optimistically without savepoints and, only
when a call raises, is rolled back and run again with a SAVEPOINT around each write. No caller
hears "done" before that COMMIT, so durability is unchanged; a group containing an intake write
commits with `synchronous=FULL`. The callers of a group are woken with one hop to their event
loop, not one each.

The store's thread stays on duty while calls keep coming: it waits on a `queue.SimpleQueue`
(a put is one C call that wakes it) and leaves the executor only after `IDLE_S` without a call,
instead of one `ThreadPoolExecutor.submit` (a future, a work item and a lock, on the event
loop's thread) per group.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

Op = Callable[[sqlite3.Connection], Any]

# How long the store's thread waits for another call before it hands its executor back: long
# next to the gaps between a busy pipeline's calls, short enough that an idle store holds nothing.
IDLE_S = 1.0


@dataclass(slots=True)
class _Call:
    fn: Op
    durable: bool
    read: bool
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class GroupCommitRunner:
    """Runs store calls on one dedicated thread, committing queued calls together."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        executor: ThreadPoolExecutor,
        *,
        max_group: int = 256,
        idle_s: float = IDLE_S,
    ) -> None:
        self._conn = conn
        self._executor = executor
        self._max_group = max_group
        self._idle_s = idle_s
        self._queue: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._serving = False

    async def run(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, read: bool = False
    ) -> T:
        """Run `fn` in the next group; `read=True` promises it writes nothing (no savepoint)."""
        loop = asyncio.get_running_loop()
        call = _Call(fn, durable, read, loop.create_future(), loop)
        self._hand_over(call)
        result: T = await call.future
        return result

    def stop(self) -> None:
        """The thread leaves once the calls queued so far are done (the store is closing)."""
        self._hand_over(None)

    def queued(self) -> int:
        """Calls waiting for a group (not those of the group running)."""
        return self._queue.qsize()

    def _hand_over(self, call: _Call | None) -> None:
        # Put and check under one lock, as `_serve` checks and leaves under it: a call put just
        # as the thread gives up its turn finds it gone and starts it again, never waits alone.
        with self._lock:
            self._queue.put(call)
            start = not self._serving
            self._serving = True
        if start:
            self._executor.submit(self._serve)

    def _serve(self) -> None:
        """Groups, each of the calls queued by the time the previous one committed."""
        while True:
            try:
                first = self._queue.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._serving = False
                        return
                continue
            group: list[_Call] = []
            stopping = first is None
            if first is not None:
                group.append(first)
            while not stopping and len(group) < self._max_group:
                try:
                    call = self._queue.get_nowait()
                except queue.Empty:
                    break
                if call is None:
                    stopping = True
                else:
                    group.append(call)
            if group:
                self._commit(group)
            if stopping:
                with self._lock:  # as when idle: a call put after the stop is still served
                    if self._queue.empty():
                        self._serving = False
                        return

    def _commit(self, group: list[_Call]) -> None:
        conn = self._conn
        durable = any(call.durable for call in group)
        outcomes: list[tuple[bool, Any]]
        try:
            if durable:
                conn.execute("PRAGMA synchronous=FULL")
            outcomes = self._run_group(conn, group)
        except Exception as exc:  # the connection itself failed: every caller hears it
            outcomes = [(False, exc)] * len(group)
        finally:
            if durable:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA synchronous=NORMAL")
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for call, (ok, value) in zip(group, outcomes, strict=True):
            by_loop.setdefault(call.loop, []).append((call.future, ok, value))
        for loop, settled in by_loop.items():
            loop.call_soon_threadsafe(_settle, settled)

    def _run_group(self, conn: sqlite3.Connection, group: list[_Call]) -> list[tuple[bool, Any]]:
        """Optimistically run the whole group in one transaction without savepoints; when a
        call fails (rare), roll it all back and run it again with a savepoint per call."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            outcomes: list[tuple[bool, Any]] = [(True, _plain(call.fn(conn))) for call in group]
            conn.execute("COMMIT")
            return outcomes
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if len(group) == 1:
                return [(False, exc)]
        return self._run_isolated(conn, group)

    @staticmethod
    def _run_isolated(conn: sqlite3.Connection, group: list[_Call]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for call in group:
                if call.read:
                    try:
                        outcomes.append((True, _plain(call.fn(conn))))
                    except Exception as exc:
                        outcomes.append((False, exc))
                    continue
                conn.execute("SAVEPOINT call")
                try:
                    outcomes.append((True, _plain(call.fn(conn))))
                    conn.execute("RELEASE call")
                except Exception as exc:
                    conn.execute("ROLLBACK TO call")
                    conn.execute("RELEASE call")
                    outcomes.append((False, exc))
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, exc)] * len(group)
        return outcomes


def _plain(result: Any) -> Any:
    """A call's result as it may leave the store's thread: never a live cursor.

    `lambda c: c.execute(...)` returns its cursor. Were it handed to the event loop, the cursor
    would be freed there, resetting (or finalising) its SQLite statement on the loop's thread
    while this thread uses the same connection: SQLite then fails later statements with "bad
    parameter or other API misuse". So it is closed here, on the connection's own thread.
    """
    if isinstance(result, sqlite3.Cursor):
        result.close()
        return None
    return result


def _settle(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in settled:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
