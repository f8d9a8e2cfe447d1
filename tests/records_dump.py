"""Everything the records database holds, as text: what an erasure test searches for leaks."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from bot.store.base import Store
from bot.store.records import RecordStore
from bot.store.redis import RedisStore
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
    """Every row of an SQLite hot path's tables, or every key of a Redis namespace with all its
    fields, members and stream entries, one a line: nothing the hot path holds is left out."""
    from bot.store.sqlite import SqliteHotPath

    if isinstance(store.hot, RedisStore):
        return await _redis_text(store.hot)
    assert isinstance(store.hot, SqliteHotPath)
    return await asyncio.to_thread(_sqlite_rows, store.hot.path)


HOT_TABLES = ("messages", "queue", "dead_letters", "reservations", "counters", "flags", "leases")


def _sqlite_rows(path: Path) -> str:
    with closing(sqlite3.connect(path)) as conn:
        rows = [
            json.dumps([str(value) for value in row], ensure_ascii=False)
            for table in HOT_TABLES
            for row in conn.execute(f"SELECT * FROM {table}")
        ]
    return "\n".join(rows)


async def _redis_text(hot: RedisStore) -> str:
    client = hot._redis
    lines: list[str] = []
    async for key in client.scan_iter(match=f"{hot.namespace}:*"):
        kind = await client.type(key)
        value: Any
        if kind == "string":
            value = await client.get(key)
        elif kind == "hash":
            value = await client.hgetall(key)
        elif kind == "set":
            value = sorted(await client.smembers(key))
        elif kind == "zset":
            value = await client.zrange(key, 0, -1, withscores=True)
        elif kind == "stream":
            value = await client.xrange(key)
        else:
            value = await client.lrange(key, 0, -1)
        lines.append(json.dumps([key, value], ensure_ascii=False, default=str))
    return "\n".join(lines)
