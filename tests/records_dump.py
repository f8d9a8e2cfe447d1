"""Everything the records database holds, as text: what an erasure test searches for leaks."""

from __future__ import annotations

import json

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
