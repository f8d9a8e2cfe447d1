"""Everything the records database holds, as text: what an erasure test searches for leaks."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.store.base import Store
from bot.store.records import RecordStore
from bot.store.sql.schema import audit, author_days, decisions, outbox, records
from bot.store.sql.store import SqlRecordStore


async def records_database_text(store: RecordStore) -> str:
    """Every row of the records, outbox, audit, decisions and author_days (People) tables, one
    JSON line each."""
    assert isinstance(store, SqlRecordStore)
    lines = [
        json.dumps([str(value) for value in row], ensure_ascii=False)
        for table in (records, outbox, audit, decisions, author_days)
        for row in await store.executor.fetch(table.select())
    ]
    return "\n".join(lines)


async def hot_path_text(store: Store) -> str:
    """Every stored message body and dead letter of an SQLite hot path, one a line (the Redis
    one is checked through the store's own reads in tests/contract/test_store_contract.py)."""
    from bot.store.sqlite import SqliteHotPath

    assert isinstance(store.hot, SqliteHotPath)
    return await asyncio.to_thread(_sqlite_bodies, store.hot.path)


def _sqlite_bodies(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        rows = [
            r[0] for table in ("messages", "dead_letters") for r in conn.execute(f"SELECT body FROM {table}")
        ]
    return "\n".join(rows)
