"""Group commit for the SQLite store: many concurrent calls, one transaction, one thread.

Why: every store call in its own transaction costs a thread hop and a commit, and with dozens
of messages in flight the single SQLite thread spends its time committing. Calls that arrive
while a transaction is running wait in a queue and are then run together, each inside its own
SAVEPOINT (a failing call rolls back alone), under a single COMMIT. No caller hears "done"
before that COMMIT, so durability is unchanged; a group containing an intake write commits
with `synchronous=FULL`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

Op = Callable[[sqlite3.Connection], Any]


@dataclass(slots=True)
class _Call:
    fn: Op
    durable: bool
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class GroupCommitRunner:
    """Runs store calls on one dedicated thread, committing queued calls together."""

    def __init__(
        self, conn: sqlite3.Connection, executor: ThreadPoolExecutor, *, max_group: int = 256
    ) -> None:
        self._conn = conn
        self._executor = executor
        self._max_group = max_group
        self._queue: deque[_Call] = deque()
        self._lock = threading.Lock()
        self._draining = False

    async def run(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False) -> T:
        loop = asyncio.get_running_loop()
        call = _Call(fn, durable, loop.create_future(), loop)
        with self._lock:
            self._queue.append(call)
            start = not self._draining
            self._draining = True
        if start:
            self._executor.submit(self._drain)
        result: T = await call.future
        return result

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._draining = False
                    return
                group = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_group))]
            self._commit(group)

    def _commit(self, group: list[_Call]) -> None:
        conn = self._conn
        durable = any(call.durable for call in group)
        outcomes: list[tuple[bool, Any]] = []
        try:
            if durable:
                conn.execute("PRAGMA synchronous=FULL")
            conn.execute("BEGIN IMMEDIATE")
            for call in group:
                conn.execute("SAVEPOINT call")
                try:
                    outcomes.append((True, call.fn(conn)))
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
        finally:
            if durable:
                conn.execute("PRAGMA synchronous=NORMAL")
        for call, (ok, value) in zip(group, outcomes, strict=True):
            call.loop.call_soon_threadsafe(_settle, call.future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
