"""Records stores on every backend for the tests: embedded SQLite, aiosqlite, real PostgreSQL.

PostgreSQL comes from `CENTINELA_TEST_DATABASE_URL` (default the machine's server on
127.0.0.1:5432, database `test`); each test session works in a schema of its own, dropped at
the end, because other runs share the server. Unreachable PostgreSQL fails the test, never skips.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from bot.store.records import RecordStore
from bot.store.sql.embedded import EmbeddedExecutor, SqliteFile
from bot.store.sql.executor import EngineExecutor
from bot.store.sql.store import SqlRecordStore
from bot.store.sql.url import parse_database_url

TEST_DATABASE_URL = os.environ.get("CENTINELA_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SESSION_SCHEMA = f"centinela_test_{uuid.uuid4().hex[:10]}"
RECORD_BACKENDS = ["sqlite", "aiosqlite", "postgresql"]


def postgres_url(schema: str = SESSION_SCHEMA) -> str:
    sep = "&" if "?" in TEST_DATABASE_URL else "?"
    return f"{TEST_DATABASE_URL}{sep}schema={schema}"


async def postgres_reachable() -> None:
    try:
        conn = await asyncpg.connect(_plain(TEST_DATABASE_URL), timeout=5)
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL not reachable at {TEST_DATABASE_URL} ({exc}); `make test` starts it, "
            "or set CENTINELA_TEST_DATABASE_URL",
            pytrace=False,
        )
    await conn.close()


async def drop_schema(schema: str) -> None:
    conn = await asyncpg.connect(_plain(TEST_DATABASE_URL), timeout=5)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


def drop_schema_now(schema: str) -> None:
    asyncio.run(drop_schema(schema))


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def open_records(kind: str, tmp_path: Path, schema: str = SESSION_SCHEMA) -> RecordStore:
    """A fresh, empty, migrated records store on the given backend."""
    store: SqlRecordStore
    if kind == "sqlite":
        store = SqlRecordStore(EmbeddedExecutor(SqliteFile(tmp_path / "records.sqlite3")))
    elif kind == "aiosqlite":
        target = parse_database_url(f"sqlite+aiosqlite:///{tmp_path / 'records-aio.sqlite3'}")
        store = SqlRecordStore(EngineExecutor(target))
    else:
        await postgres_reachable()
        store = SqlRecordStore(EngineExecutor(parse_database_url(postgres_url(schema))))
    await store.open()
    await store.clear()
    return store
