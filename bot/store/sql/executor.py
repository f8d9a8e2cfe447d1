"""Running SQLAlchemy Core statements: the `SqlExecutor` protocol and its engine-backed form.

Why a protocol between the records store and SQLAlchemy: the store's statements are the same on
every engine, but how they run is not. PostgreSQL (and `sqlite+aiosqlite`) go through
SQLAlchemy's `AsyncEngine` with a pool; the embedded SQLite default runs the very same compiled
statements on the hot path's own SQLite thread (`embedded.py`), inside its group commit, because
a second writer on the same file would wait on SQLite's lock. Every store operation is one
statement, or one batch of statements in one transaction, so no store logic depends on which.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

from bot.store.sql.group_commit import GroupCommit, Op, Params, Plan, require_exact
from bot.store.sql.url import DatabaseTarget


class SqlExecutor(Protocol):
    """Where the records store's statements run."""

    dialect_name: str  # "sqlite" or "postgresql": picks the dialect's upsert construct

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def fetch(self, stmt: Executable, params: Params | None = None) -> list[Sequence[Any]]:
        """Rows of one statement (a SELECT, or a write with RETURNING), in its own transaction."""

    async def batch(
        self, ops: Sequence[Op], *, durable: bool = False, rowcounts: bool = True, exact: bool = False
    ) -> list[list[int]]:
        """Run every op's rows in ONE transaction; the rowcount of each row, per op. With
        `rowcounts=False` each op may run as one executemany and its counts are empty. With
        `exact`, every row must change exactly one row, else none of the batch is written and
        `RowsUnchanged` is raised (the other callers sharing its group commit are unaffected)."""

    async def read_then_batch(
        self, reads: Sequence[tuple[Executable, Params]], plan: Plan, *, durable: bool = False
    ) -> None:
        """Run the `reads`, then the ops `plan` makes of their rows (one list per read), each op
        as one executemany. The embedded store does all of it in ONE call on its writer thread
        (one transaction, one round trip); an engine fetches first, then writes in a batch."""

    async def ddl(self, statements: Sequence[str]) -> None:
        """Schema changes, in order, in one transaction."""

    async def columns(self, table: str) -> set[str]:
        """The columns a table has now (empty when it does not exist): migrations look."""


class EngineExecutor:
    """`SqlExecutor` over SQLAlchemy's `AsyncEngine`: asyncpg for PostgreSQL, aiosqlite for SQLite."""

    def __init__(self, target: DatabaseTarget, *, pool_size: int = 5) -> None:
        self.target = target
        self.dialect_name = "postgresql" if target.backend == "postgresql" else "sqlite"
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None
        self._autocommit: AsyncEngine | None = None
        self._group = GroupCommit(lambda: self.engine, self._run_batch)

    @property
    def own_schema(self) -> str | None:
        """The PostgreSQL schema this executor works in, when the URL chose one."""
        return self.target.schema

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("records database is not open")
        return self._engine

    async def open(self) -> None:
        kwargs: dict[str, Any] = {}
        if self.target.backend == "postgresql":
            # No pre-ping: it would cost a round trip per call; a dropped connection fails that
            # call and the pool replaces it.
            kwargs = {"pool_size": self._pool_size, "max_overflow": self._pool_size}
            connect_args: dict[str, Any] = {"timeout": 5}
            if self.target.schema:
                connect_args["server_settings"] = {"search_path": self.target.schema}
            kwargs["connect_args"] = connect_args
        else:
            assert self.target.path is not None
            await asyncio.to_thread(self.target.path.parent.mkdir, parents=True, exist_ok=True)
        engine = create_async_engine(self.target.url, **kwargs)
        if self.target.backend == "aiosqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        self._engine = engine
        # One statement is atomic by itself: run it without BEGIN/COMMIT round trips.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        if self.target.schema:
            async with engine.begin() as conn:
                # Serialised like the migrations: two replicas creating the schema at once
                # would otherwise race on PostgreSQL's catalogue (a duplicate-key error).
                await conn.execute(text("SELECT pg_advisory_xact_lock(730309)"))
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.target.schema}"'))

    async def close(self) -> None:
        engine, self._engine, self._autocommit = self._engine, None, None
        if engine is not None:
            await engine.dispose()

    async def fetch(self, stmt: Executable, params: Params | None = None) -> list[Sequence[Any]]:
        async with (self._autocommit or self.engine).connect() as conn:
            result = await conn.execute(stmt, dict(params or {}))
            rows: list[Row[Any]] = list(result.fetchall()) if result.returns_rows else []
        return [tuple(row) for row in rows]

    async def batch(
        self, ops: Sequence[Op], *, durable: bool = False, rowcounts: bool = True, exact: bool = False
    ) -> list[list[int]]:
        """Joins the next group commit (`bot/store/sql/group_commit.py`): concurrent writers
        share one transaction and one WAL flush instead of paying a commit (an fsync) each."""
        return await self._group.submit(ops, rowcounts=rowcounts or exact, exact=exact)

    async def _run_batch(
        self, conn: AsyncConnection, ops: Sequence[Op], rowcounts: bool, exact: bool
    ) -> list[list[int]]:
        counts: list[list[int]] = []
        for stmt, rows in ops:
            if not rowcounts and len(rows) > 1:  # one executemany round trip (asyncpg)
                await conn.execute(stmt, [dict(r) for r in rows])
                counts.append([])
                continue
            per_row: list[int] = []
            for row in rows:
                result = await conn.execute(stmt, dict(row))
                per_row.append(result.rowcount)
            if exact:  # raised inside the transaction: the group commit rolls this call back
                require_exact(per_row)
            counts.append(per_row)
        return counts

    async def read_then_batch(
        self, reads: Sequence[tuple[Executable, Params]], plan: Plan, *, durable: bool = False
    ) -> None:
        found = [list(await self.fetch(stmt, params)) for stmt, params in reads]
        await self.batch(plan(found), durable=durable, rowcounts=False)

    async def ddl(self, statements: Sequence[str]) -> None:
        async with self.engine.begin() as conn:
            for sql in statements:
                await conn.execute(text(sql))

    async def columns(self, table: str) -> set[str]:
        async with self.engine.begin() as conn:
            if self.dialect_name == "postgresql":
                result = await conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name = :t AND table_schema = current_schema()"
                    ),
                    {"t": table},
                )
                return {str(r[0]) for r in result.fetchall()}
            result = await conn.execute(text(f'PRAGMA table_info("{table}")'))
            return {str(r[1]) for r in result.fetchall()}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
