"""Community replies per author for the People view, the same on every records backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.records import RecordKind
from bot.store.records import RecordStore
from bot.web.stats_community import helped_counts

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
DAY = T0 + timedelta(days=1)


async def _reply(records: RecordStore, key: str, author: str, written: datetime) -> None:
    channel = key.split(":")[0]
    data = {"author": author, "channel": channel, "message_key": key, "message_at": written.isoformat()}
    await records.put_record(RecordKind.COMMUNITY_REPLY, key, {**data, "status": "counted"})


async def test_replies_written_in_the_span_per_author_and_channel(records: RecordStore) -> None:
    await _reply(records, "twitter:1", "bea", T0)
    await _reply(records, "twitter:2", "bea", DAY - timedelta(seconds=1))
    await _reply(records, "forum:t1-p2", "bea", T0)
    await _reply(records, "twitter:3", "bea", T0 - timedelta(seconds=1))  # before the span
    await _reply(records, "twitter:4", "carl", DAY)  # the end is exclusive

    assert await helped_counts(records, T0, DAY) == {("bea", "twitter"): 2, ("bea", "forum"): 1}
    assert await helped_counts(records, T0, DAY, channel="forum") == {("bea", "forum"): 1}
    assert await helped_counts(records, DAY + timedelta(days=1), DAY + timedelta(days=2)) == {}
