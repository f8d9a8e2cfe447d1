"""Every match of a records query, page after page: for scans that must not stop at a cap.

Why: a scan with a hard limit (the war-room's old `SCAN_LIMIT`s) silently misses whatever lies
past it. Filtering in the database keeps such scans small (open alerts, approved drafts), and
following the cursor to the end keeps them complete.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.core.models import Record
from bot.store.records import RecordFilter, RecordStore

PAGE = 500


async def iter_records(
    records: RecordStore, where: RecordFilter, *, page: int = PAGE
) -> AsyncIterator[Record]:
    cursor: str | None = None
    while True:
        found = await records.query_records(where, cursor=cursor, limit=page)
        for record in found.items:
            yield record
        if found.next is None:
            return
        cursor = found.next


async def all_records(records: RecordStore, where: RecordFilter, *, page: int = PAGE) -> list[Record]:
    return [record async for record in iter_records(records, where, page=page)]
