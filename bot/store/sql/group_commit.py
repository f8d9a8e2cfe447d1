"""Group commit for the records database: many concurrent writes, one transaction, one flush.

Why: on PostgreSQL every COMMIT waits for the WAL to reach disk (5 ms on this machine), and
the pipeline writes a handful of records per message, dozens of messages at once. Writes that
arrive while a transaction is committing wait in a queue and then commit together, so the
flush is paid once per group, not once per write; no caller hears "done" before its COMMIT,
so durability is unchanged. A group that fails is retried one call per transaction, so one
bad call (or a deadlock victim) fails alone. The embedded SQLite store has the same design on
its writer thread (`bot/store/sqlite_runner.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

Params = Mapping[str, Any]
# One operation of a batch: a statement and its rows; one rowcount comes back per row.
Op = tuple[Executable, Sequence[Params]]
# What the rows of a few reads lead to writing (`SqlExecutor.read_then_batch`).
Plan = Callable[[list[list[Sequence[Any]]]], Sequence[Op]]
Runner = Callable[["AsyncConnection", Sequence[Op], bool, bool], Awaitable[list[list[int]]]]


class RowsUnchanged(Exception):
    """A batch asked to change exactly one row per row given (`exact=True`) did not: it is
    rolled back whole, and its caller hears this (a multi-record compare-and-set that lost)."""


def require_exact(counts: Sequence[int]) -> None:
    """Raise `RowsUnchanged` unless every row of an exact batch changed exactly one row."""
    if any(n != 1 for n in counts):
        raise RowsUnchanged("a row of an all-or-nothing batch changed nothing")


@dataclass(slots=True)
class _Call:
    ops: Sequence[Op]
    rowcounts: bool
    exact: bool
    future: asyncio.Future[list[list[int]]]


class GroupCommit:
    """Runs submitted batches in shared transactions, a few groups at a time."""

    def __init__(
        self, engine: Callable[[], AsyncEngine], run: Runner, *, max_group: int = 64, parallel: int = 4
    ) -> None:
        self._engine = engine
        self._run = run
        self._max_group = max_group
        self._parallel = parallel
        self._queue: deque[_Call] = deque()
        self._drainers: set[asyncio.Task[None]] = set()

    async def submit(self, ops: Sequence[Op], *, rowcounts: bool, exact: bool = False) -> list[list[int]]:
        call = _Call(ops, rowcounts, exact, asyncio.get_running_loop().create_future())
        self._queue.append(call)
        # A few groups commit at once: a group's statements are round trips on one connection,
        # so one group at a time would cap all writers at one statement per round trip.
        if len(self._drainers) < self._parallel:
            task = asyncio.create_task(self._drain())
            self._drainers.add(task)
            task.add_done_callback(self._drainers.discard)
        return await call.future

    async def _drain(self) -> None:
        while self._queue:
            group = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_group))]
            group = [call for call in group if not call.future.cancelled()]
            if group:
                await self._commit(group)

    async def _commit(self, group: list[_Call]) -> None:
        try:
            async with self._engine().begin() as conn:
                results = [await self._run(conn, call.ops, call.rowcounts, call.exact) for call in group]
        except Exception as exc:
            if len(group) == 1:
                _settle(group[0], error=exc)
                return
            for call in group:  # rare: find the failing call, each in a transaction of its own
                try:
                    async with self._engine().begin() as conn:
                        _settle(call, await self._run(conn, call.ops, call.rowcounts, call.exact))
                except Exception as single:
                    _settle(call, error=single)
            return
        for call, result in zip(group, results, strict=True):
            _settle(call, result)


def _settle(
    call: _Call, result: list[list[int]] | None = None, *, error: BaseException | None = None
) -> None:
    if call.future.done():
        return
    with contextlib.suppress(asyncio.InvalidStateError):
        if error is not None:
            call.future.set_exception(error)
        else:
            call.future.set_result(result or [])
