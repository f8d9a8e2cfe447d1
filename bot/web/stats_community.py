"""How often each author helped another customer, for the People view's advocates.

Read from the `community_reply` records (`bot/pipeline/community_replies.py`) through the
indexed `created_at` from the span's start (a reply is recorded after it was written) and the
`channel` column, counted when the reply's own time falls in the span, like the author figures.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.core.records import RecordKind
from bot.store.records import RecordFilter, RecordStore
from bot.store.scan import iter_records


async def helped_counts(
    records: RecordStore, since: datetime, until: datetime, *, channel: str | None = None
) -> Counter[tuple[str, str]]:
    """(author, channel) -> community replies written in [since, until)."""
    counts: Counter[tuple[str, str]] = Counter()
    after_start = RecordFilter(RecordKind.COMMUNITY_REPLY, channel=channel, since=since)
    async for record in iter_records(records, after_start):
        written = datetime.fromisoformat(str(record.data["message_at"]))
        if since <= written < until:
            counts[(str(record.data["author"]), str(record.data["channel"]))] += 1
    return counts
