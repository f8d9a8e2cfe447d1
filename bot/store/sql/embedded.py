"""The embedded default: hot path and records in ONE SQLite file, on ONE writer thread.

Why not a second connection (or aiosqlite) for the records: SQLite has one writer per file, so
two connections writing the same file take turns through SQLite's busy handler, which sleeps in
milliseconds; the pipeline writes both halves for every message and would stall on it. Instead
`SqliteFile` owns the one connection and the group-commit runner (`bot/store/sqlite_runner.py`),
the hot-path store runs its calls there as before, and `EmbeddedExecutor` runs the records
store's SQLAlchemy Core statements there too, compiled once per statement with SQLite's dialect.
Both halves then share transactions, group commits and fsyncs, as in one store.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite import pysqlite
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

from bot.store.base import StoreUnavailable
from bot.store.sql.group_commit import Op, Params, Plan, require_exact
from bot.store.sqlite_runner import GroupCommitRunner

T = TypeVar("T")

_DIALECT = pysqlite.dialect(paramstyle="named")


class SqliteFile:
    """One SQLite file opened once for everyone who shares it (reference counted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None
        self._runner: GroupCommitRunner | None = None
        self._users = 0

    async def open(self) -> None:
        self._users += 1
        if self._runner is not None:
            return

        def connect() -> sqlite3.Connection:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # A statement cache big enough for both halves' statements: a miss re-prepares the
            # statement on the writer thread, holding the GIL the event loop needs.
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, cached_statements=512
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            return conn

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        try:
            loop = asyncio.get_running_loop()
            self._conn = await loop.run_in_executor(self._executor, connect)
        except (sqlite3.Error, OSError) as exc:
            self._users -= 1
            self._executor.shutdown(wait=True)
            self._executor = None
            raise StoreUnavailable(f"cannot open SQLite store at {self.path}: {exc}") from exc
        self._runner = GroupCommitRunner(self._conn, self._executor)

    async def close(self) -> None:
        self._users = max(0, self._users - 1)
        if self._users or self._executor is None:
            return
        conn, executor, runner = self._conn, self._executor, self._runner
        self._conn, self._runner, self._executor = None, None, None
        if runner is not None:  # its thread finishes the queued calls, then frees the executor
            runner.stop()
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        await asyncio.to_thread(executor.shutdown, wait=True)

    async def run(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, read: bool = False
    ) -> T:
        runner = self._runner
        if runner is None:
            raise StoreUnavailable("SQLite store is not open")
        return await runner.run(fn, durable=durable, read=read)


MAX_SHAPES = 512  # distinct statement shapes kept compiled


def _reads(stmt: Executable) -> bool:
    return bool(getattr(stmt, "is_select", False))


def _required(compiled: SQLCompiler) -> dict[str, None]:
    """The parameters the caller must give (the rest are values bound inside the statement)."""
    return {compiled.bind_names[b]: None for b in compiled.binds.values() if b.required}


def _literals(compiled: SQLCompiler, required: dict[str, None], bound: Any) -> dict[str, Any]:
    """The values bound inside the statement, from `bound` (this statement's own, when the SQL
    was compiled for another of the same shape); the caller's parameters are laid over them."""
    values = compiled.construct_params(required, extracted_parameters=bound) or {}
    return {k: v for k, v in values.items() if k not in required}


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    literals: dict[str, Any]
    read: bool


class EmbeddedExecutor:
    """`SqlExecutor` on a shared `SqliteFile`: Core statements compiled once, run in its groups."""

    dialect_name = "sqlite"

    def __init__(self, file: SqliteFile) -> None:
        self.file = file
        self._prepared: dict[int, _Prepared] = {}
        self._shapes: dict[Any, tuple[SQLCompiler, dict[str, None]]] = {}

    async def open(self) -> None:
        await self.file.open()

    async def close(self) -> None:
        await self.file.close()

    def _prepare(self, stmt: Executable) -> _Prepared:
        """A statement's SQL text and the values bound inside it, compiled once per shape.

        Statements are immutable, so each object's answer is kept while it lives (the store's
        fixed statements live as long as the store). A statement built per call (a filtered
        records query: the cases' look-up runs one per complaint) is a new object each time but
        the same shape: SQLAlchemy's own cache key finds its compiled SQL and only this call's
        values are taken from it, as SQLAlchemy's engines do. A shape whose SQL depends on its
        values (literal-rendered ones) is compiled per statement; an IN list is expanded from
        its shape's compiled SQL."""
        known = self._prepared.get(id(stmt))
        if known is not None:
            return known
        prepared = self._by_shape(stmt)
        self._prepared[id(stmt)] = prepared
        weakref.finalize(stmt, self._prepared.pop, id(stmt), None)
        return prepared

    def _by_shape(self, stmt: Executable) -> _Prepared:
        key = stmt._generate_cache_key()  # type: ignore[attr-defined]
        shaped = self._shapes.get(key.key) if key is not None else None
        if shaped is None:
            compiled: SQLCompiler = stmt.compile(dialect=_DIALECT, cache_key=key)  # type: ignore[attr-defined]
            if key is None or compiled.literal_execute_params:
                return self._expanded(stmt)
            if len(self._shapes) >= MAX_SHAPES:
                self._shapes.clear()  # a bound, not an LRU: the shapes in use come back at once
            shaped = self._shapes[key.key] = (compiled, _required(compiled))
        compiled, required = shaped
        values = compiled.construct_params(required, extracted_parameters=key.bindparams) or {}
        sql = compiled.string
        if compiled.post_compile_params:
            # An IN list's SQL depends on its length: SQLAlchemy expands the compiled shape with
            # this statement's values (a text substitution), as its engines do, not a new compile.
            expanded = compiled.construct_expanded_state(values)
            sql, values = expanded.statement, dict(expanded.parameters)
        literals = {k: v for k, v in values.items() if k not in required}
        return _Prepared(sql, literals, _reads(stmt))

    @staticmethod
    def _expanded(stmt: Executable) -> _Prepared:
        compiled: SQLCompiler = stmt.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})  # type: ignore[attr-defined]
        return _Prepared(compiled.string, _literals(compiled, _required(compiled), None), _reads(stmt))

    async def fetch(self, stmt: Executable, params: Params | None = None) -> list[Sequence[Any]]:
        prepared = self._prepare(stmt)
        sql, args = prepared.sql, {**prepared.literals, **(params or {})}

        def run(c: sqlite3.Connection) -> list[Sequence[Any]]:
            cursor = c.execute(sql, args)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()

        return await self.file.run(run, read=prepared.read)

    async def batch(
        self, ops: Sequence[Op], *, durable: bool = False, rowcounts: bool = True, exact: bool = False
    ) -> list[list[int]]:
        planned = self._planned(ops)

        def run(c: sqlite3.Connection) -> list[list[int]]:
            counts: list[list[int]] = []
            for sql, rows in planned:
                if not (rowcounts or exact) and len(rows) > 1:
                    _executemany(c, sql, rows)
                    counts.append([])
                    continue
                per_row: list[int] = []
                for row in rows:
                    cursor = c.execute(sql, row)
                    per_row.append(cursor.rowcount)
                    cursor.close()
                if exact:  # raised inside the group: the runner rolls this call back alone
                    require_exact(per_row)
                counts.append(per_row)
            return counts

        return await self.file.run(run, durable=durable)

    async def read_then_batch(
        self, reads: Sequence[tuple[Executable, Params]], plan: Plan, *, durable: bool = False
    ) -> None:
        """One call on the writer thread: the reads, `plan` (Python, on that thread) and its ops.

        Why: a read whose answer decides the writes (the decisions a batch overwrites) was a
        round trip of its own before the write's, and the worker waits for both at every
        batch's end. `plan`'s statements are prepared there (a cache hit for the store's fixed
        statements, compiled once otherwise)."""
        fetches = [
            (p.sql, {**p.literals, **params}) for p, params in ((self._prepare(s), q) for s, q in reads)
        ]

        def run(c: sqlite3.Connection) -> None:
            found: list[list[Sequence[Any]]] = []
            for sql, args in fetches:
                cursor = c.execute(sql, args)
                try:
                    found.append(cursor.fetchall())
                finally:
                    cursor.close()
            for sql, rows in self._planned(plan(found)):
                _executemany(c, sql, rows)

        await self.file.run(run, durable=durable)

    def _planned(self, ops: Sequence[Op]) -> list[tuple[str, list[dict[str, Any]]]]:
        """Each op's SQL and its rows with the statement's own bound values laid under them."""
        planned: list[tuple[str, list[dict[str, Any]]]] = []
        for stmt, rows in ops:
            prepared = self._prepare(stmt)
            literals = prepared.literals
            bound = [{**literals, **r} if literals or not isinstance(r, dict) else r for r in rows]
            planned.append((prepared.sql, bound))
        return planned

    async def ddl(self, statements: Sequence[str]) -> None:
        def run(c: sqlite3.Connection) -> None:
            for sql in statements:
                c.execute(sql).close()

        await self.file.run(run)

    async def columns(self, table: str) -> set[str]:
        def run(c: sqlite3.Connection) -> set[str]:
            return {str(r[1]) for r in c.execute(f'PRAGMA table_info("{table}")').fetchall()}

        return await self.file.run(run, read=True)


def _executemany(c: sqlite3.Connection, sql: str, rows: list[dict[str, Any]]) -> None:
    """One executemany: the rows are bound and stepped in C, not one Python call and cursor
    each, and the writer thread holds the GIL the event loop needs for less."""
    if rows:
        c.executemany(sql, rows).close()
