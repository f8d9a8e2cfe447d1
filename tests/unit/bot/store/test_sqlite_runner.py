"""Group commit: calls share one transaction, yet a failing call rolls back alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.store.sqlite import SqliteStore
from bot.store.sqlite_runner import GroupCommitRunner
from tests.conftest import eventually


async def test_a_failing_call_in_a_group_rolls_back_alone(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.open()
    try:
        await store.hot._run(lambda c: c.execute("CREATE TABLE t (k TEXT PRIMARY KEY)"))

        def insert(key: str) -> Callable[[sqlite3.Connection], None]:
            def write(c: sqlite3.Connection) -> None:
                c.execute("INSERT INTO t VALUES (?)", (key,))
                if key == "bad":
                    raise ValueError("refused after writing")

            return write

        async def count() -> list[str]:
            rows = await store.hot._read(lambda c: c.execute("SELECT k FROM t ORDER BY k").fetchall())
            return [row[0] for row in rows]

        # A slow call holds the store's thread while the next calls queue up behind it, so they
        # run as one group: its optimistic run fails on "bad" and is redone call by call.
        started, release = threading.Event(), threading.Event()

        def hold(_c: sqlite3.Connection) -> None:
            started.set()
            release.wait(timeout=10)

        slow = asyncio.ensure_future(store.hot._run(hold))
        await asyncio.to_thread(started.wait, 10)
        calls = asyncio.gather(
            *(store.hot._run(insert(k)) for k in ("a", "bad", "b")),
            count(),
            return_exceptions=True,
        )
        runner = store.hot.file._runner
        assert runner is not None
        await eventually(lambda: _true(runner.queued() == 4))
        release.set()
        results = await calls
        await slow
        assert isinstance(results[1], ValueError)
        assert results[0] is None and results[2] is None
        assert results[3] == ["a", "b"], "the read in the same group saw the committed writes"
        assert await count() == ["a", "b"], "the failing call's own write was rolled back"
        # A duplicate key is an ordinary failure too, and leaves the store usable.
        with pytest.raises(sqlite3.IntegrityError):
            await store.hot._run(insert("a"))
        assert await count() == ["a", "b"]
    finally:
        await store.close()


async def test_no_cursor_leaves_the_store_thread(tmp_path: Path) -> None:
    """A cursor freed on the event loop's thread would reset its statement there, racing the
    store's thread on the same connection ("bad parameter or other API misuse")."""
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.open()
    try:
        made: list[sqlite3.Cursor] = []

        def run(c: sqlite3.Connection) -> sqlite3.Cursor:
            made.append(c.execute("SELECT 1 UNION ALL SELECT 2"))
            return made[-1]

        assert await store.hot._run(run) is None
        with pytest.raises(sqlite3.ProgrammingError):
            made[0].fetchone()  # closed on the store's thread before the result was handed over
    finally:
        await store.close()


async def _true(value: bool) -> bool:
    return value


async def test_a_call_put_after_stop_is_still_served(tmp_path: Path) -> None:
    """`stop()` ends the thread's turn, but a call that arrives behind it must not wait forever:
    the thread only leaves with nothing queued (as when it idles)."""
    conn = sqlite3.connect(tmp_path / "r.sqlite3", isolation_level=None, check_same_thread=False)
    executor = ThreadPoolExecutor(max_workers=1)
    runner = GroupCommitRunner(conn, executor, idle_s=0.05)
    try:
        started, release = threading.Event(), threading.Event()

        def hold(_c: sqlite3.Connection) -> None:
            started.set()
            release.wait(timeout=10)

        slow = asyncio.ensure_future(runner.run(hold))
        await asyncio.to_thread(started.wait, 10)
        runner.stop()
        late = asyncio.ensure_future(runner.run(lambda c: c.execute("SELECT 1").fetchone()[0], read=True))
        await eventually(lambda: _true(runner.queued() == 2))
        release.set()
        await slow
        assert await asyncio.wait_for(late, timeout=5) == 1
    finally:
        await asyncio.to_thread(executor.shutdown, wait=True)
        conn.close()
