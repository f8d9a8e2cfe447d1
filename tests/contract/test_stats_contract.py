"""The dashboard's aggregates: the same figures on embedded SQLite, aiosqlite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.models import Decision
from bot.store.records import RecordStore
from bot.store.stats import Dimension, StatCount, StatFilter, bucket_starts, rollup, span_end, zone

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


def _d(key: str, at: datetime, **fields: object) -> Decision:
    base: dict[str, object] = {"message_key": key, "action": "monitor", "reason": "r", "rule": "x"}
    return Decision.model_validate(
        {**base, "decided_at": at + timedelta(hours=1), "message_at": at, **fields}
    )


async def test_counts_by_message_minute_and_every_dimension(records: RecordStore) -> None:
    await records.save_decisions(
        [
            _d("twitter:a", T0, language="es", topic="no-internet", region="madrid", sentiment="negative"),
            _d("twitter:b", T0 + timedelta(seconds=59), language="es", topic="no-internet", region="madrid",
               sentiment="negative"),
            _d("email:c", T0 + timedelta(minutes=1), language="en", topic="billing", action="answer"),
        ]
    )  # fmt: skip
    rows = await records.stat_counts(
        T0, T0 + timedelta(minutes=2), step_minutes=1, group_by="topic", where=StatFilter()
    )
    assert [(r.start, r.group, r.action, r.sentiment, r.count) for r in rows] == [
        (T0, "no-internet", "monitor", "negative", 2),
        (T0 + timedelta(minutes=1), "billing", "answer", "neutral", 1),
    ]
    only_madrid = await records.stat_counts(
        T0, T0 + timedelta(hours=1), step_minutes=15, group_by="channel", where=StatFilter(region="madrid")
    )
    assert [(r.start, r.group, r.count) for r in only_madrid] == [(T0, "twitter", 2)]
    english = await records.stat_counts(
        T0, T0 + timedelta(hours=1), step_minutes=1, group_by="language", where=StatFilter(language="en")
    )
    assert [(r.group, r.count) for r in english] == [("en", 1)]


async def test_range_ends_are_exclusive_and_empty_periods_are_empty(records: RecordStore) -> None:
    await records.save_decisions([_d("twitter:a", T0 + timedelta(minutes=15))])
    before = await records.stat_counts(
        T0, T0 + timedelta(minutes=15), step_minutes=15, group_by="channel", where=StatFilter()
    )
    assert before == []
    after = await records.stat_counts(
        T0 + timedelta(minutes=15), T0 + timedelta(minutes=30), step_minutes=15, group_by="channel",
        where=StatFilter(),
    )  # fmt: skip
    assert [(r.start, r.count) for r in after] == [(T0 + timedelta(minutes=15), 1)]


async def test_a_message_dated_after_its_decision_counts_at_the_decision(records: RecordStore) -> None:
    future = Decision(
        message_key="twitter:f", action="agent", reason="r", rule="x", decided_at=T0,
        message_at=T0 + timedelta(days=3),
    )  # fmt: skip
    await records.save_decisions([future])
    rows = await records.stat_counts(
        T0, T0 + timedelta(minutes=1), step_minutes=1, group_by="action", where=StatFilter()
    )
    assert [(r.group, r.count) for r in rows] == [("agent", 1)]


async def test_thirty_day_rollup_in_a_local_time_zone(records: RecordStore) -> None:
    # 23:30 UTC on 19 May is 01:30 on 20 May in Madrid (UTC+2): the Madrid day is the 20th.
    late = datetime(2026, 5, 19, 23, 30, tzinfo=UTC)
    await records.save_decisions([_d("twitter:a", late), _d("twitter:b", late + timedelta(hours=1))])
    rows = await records.stat_counts(
        T0 - timedelta(days=30), T0 + timedelta(days=1), step_minutes=15, group_by="channel",
        where=StatFilter(),
    )  # fmt: skip
    madrid = rollup("month", "channel", rows, until=T0, tz=await asyncio.to_thread(zone, "Europe/Madrid"))
    assert madrid.buckets[-1].start == datetime(2026, 5, 19, 22, 0, tzinfo=UTC)
    assert [b.total for b in madrid.buckets[-2:]] == [0, 2]
    utc = rollup("month", "channel", rows, until=T0)
    assert [b.total for b in utc.buckets[-2:]] == [1, 1]
    # The same days grouped in SQL, one CASE branch per local day: the same figures.
    tz = await asyncio.to_thread(zone, "Europe/Madrid")
    days = bucket_starts("month", T0, tz)
    by_day = await records.stat_counts(
        days[0],
        span_end("month", days, tz),
        step_minutes=15,
        group_by="channel",
        where=StatFilter(),
        starts=days,
    )
    assert {r.start for r in by_day} <= set(days)
    assert [b.total for b in rollup("month", "channel", by_day, until=T0, tz=tz).buckets] == [
        b.total for b in madrid.buckets
    ]


async def test_authors_add_up_over_days(records: RecordStore) -> None:
    await records.save_decisions(
        [
            _d("twitter:a", T0, author="@ana", reach=10, sentiment="positive"),
            _d("twitter:b", T0 + timedelta(days=1), author="@ana", reach=30, sentiment="positive"),
            _d("twitter:c", T0, author="@luis", reach=5, sentiment="negative"),
            _d("twitter:d", T0 - timedelta(days=9), author="@luis", sentiment="negative"),
        ]
    )
    found = await records.author_stats(T0 - timedelta(days=1), T0 + timedelta(days=2))
    by_author = {s.author: (s.messages, s.positive, s.negative, s.reach) for s in found}
    assert by_author == {"@ana": (2, 2, 0, 30), "@luis": (1, 0, 1, 5)}
    assert await records.author_stats(T0, T0 + timedelta(days=2), channel="email") == []


async def test_day_totals_match_the_minutes_and_fill_a_new_zone(records: RecordStore) -> None:
    from bot.store.sql import stats as sql_stats
    from bot.store.sql.store import SqlRecordStore

    assert isinstance(records, SqlRecordStore)
    late = datetime(2026, 5, 19, 23, 30, tzinfo=UTC)
    await records.save_decisions(
        [
            _d("twitter:a", late, language="es", topic="no-internet", sentiment="negative"),
            _d("email:b", late + timedelta(hours=1), language="en", action="answer"),
            _d("twitter:c", T0 - timedelta(days=3), language="pt", region="madrid"),
        ]
    )
    for zone_name in ("UTC", "Europe/Madrid"):
        tz = await asyncio.to_thread(zone, zone_name)
        if zone_name != "UTC":  # the store keeps UTC days; a new zone is filled from the minutes
            assert await sql_stats.backfill_days(records.executor, tz) == 3
            assert await sql_stats.backfill_days(records.executor, tz) == 0  # once
            records.day_zone = tz
        days = bucket_starts("month", T0, tz)
        end = span_end("month", days, tz)
        for group_by in ("channel", "language", "topic", "action", "sentiment"):
            from_days = await records.stat_counts(
                days[0], end, step_minutes=15, group_by=group_by, where=StatFilter(), starts=days, zone=tz
            )
            from_minutes = await records.stat_counts(
                days[0], end, step_minutes=15, group_by=group_by, where=StatFilter(), starts=days
            )
            key = lambda r: (r.start, r.group, r.action, r.sentiment, r.count)  # noqa: E731
            assert sorted(map(key, from_days)) == sorted(map(key, from_minutes)), (zone_name, group_by)
            assert sum(r.count for r in from_days) == 3


async def _utc_days(records: RecordStore, group_by: Dimension) -> list[StatCount]:
    """The month view's local days (UTC) up to T0's, as the dashboard reads them."""
    tz = await asyncio.to_thread(zone, "UTC")
    days = bucket_starts("month", T0, tz)
    return await records.stat_counts(
        days[0], span_end("month", days, tz), step_minutes=15, group_by=group_by, where=StatFilter(),
        starts=days, zone=tz,
    )  # fmt: skip


async def test_a_redelivered_decision_replaces_its_counts(records: RecordStore) -> None:
    first = _d("twitter:a", T0, action="agent", topic="billing", author="@ana", sentiment="negative")
    await records.save_decisions([first])
    again = first.model_copy(update={"action": "case", "decided_at": first.decided_at + timedelta(seconds=5)})
    await records.save_decisions([again])
    await records.save_decisions([again, again])  # twice in one batch, and once more
    window = (T0, T0 + timedelta(hours=2))
    by_action = await records.stat_counts(*window, step_minutes=15, group_by="action", where=StatFilter())
    assert [(r.group, r.count) for r in by_action] == [("case", 1)]
    assert [(r.group, r.count) for r in await _utc_days(records, "action")] == [("case", 1)]
    people = await records.author_stats(T0, T0 + timedelta(days=1))
    assert [(a.author, a.messages, a.negative) for a in people] == [("@ana", 1, 1)]
    minutes = await records.minute_counts(T0, T0 + timedelta(hours=2))
    assert [(m.action, m.count) for m in minutes if m.count] == [("case", 1)]


async def test_a_batch_in_one_minute_counts_each_of_its_messages(records: RecordStore) -> None:
    """A claimed batch is folded into one upsert per key: 50 messages of one minute (and one
    author, one local day) must still count 50 in every figure the dashboard reads."""
    batch = [
        _d(f"twitter:m{i}", T0 + timedelta(seconds=i), author="@ana", topic="billing", sentiment="negative")
        for i in range(50)
    ]
    await records.save_decisions(batch)
    await records.save_decisions([_d("twitter:m50", T0 + timedelta(seconds=55), author="@ana")])
    per_minute = await records.stat_counts(
        T0, T0 + timedelta(minutes=1), step_minutes=1, group_by="topic", where=StatFilter()
    )
    assert [(r.start, r.group, r.sentiment, r.count) for r in per_minute] == [
        (T0, "", "neutral", 1),
        (T0, "billing", "negative", 50),
    ]
    from_days = await _utc_days(records, "sentiment")
    assert sorted((r.group, r.count) for r in from_days) == [("negative", 50), ("neutral", 1)]
    people = await records.author_stats(T0, T0 + timedelta(days=1))
    assert [(a.author, a.messages, a.negative) for a in people] == [("@ana", 51, 50)]
    decided = await records.minute_counts(T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=1))
    assert sum(m.count for m in decided) == 51
