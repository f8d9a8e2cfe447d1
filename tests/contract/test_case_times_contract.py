"""Case times on the Quality view: the same p50/p90 on embedded SQLite, aiosqlite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.cases import DUPLICATE_REASON, Case
from bot.core.records import RecordKind
from bot.store.records import RecordStore
from bot.store.stats import StatFilter
from bot.web.stats_cases import case_times

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
DAY = T0 + timedelta(days=1)


async def _case(records: RecordStore, number: int, opened: datetime, **fields: Any) -> None:
    channel = fields.pop("channel", "twitter")
    case = Case(
        id=f"C-{number}", message_key=f"{channel}:{number}", channel=channel, author=f"@a{number}",
        identity=f"{channel}:a{number}", opened_at=opened, **fields,
    )  # fmt: skip
    await records.put_record(RecordKind.CASE, case.id, case.record_data())


async def test_percentiles_per_channel_and_priority_from_the_cases_timestamps(records: RecordStore) -> None:
    minute = timedelta(minutes=1)
    for n, (responded, solved) in enumerate([(1, 10), (2, 20), (3, None), (10, None)]):
        opened = T0 + timedelta(hours=n)
        await _case(
            records, 1001 + n, opened, first_response_at=opened + responded * minute,
            solved_at=opened + solved * minute if solved else None, status="solved" if solved else "open",
        )  # fmt: skip
    await _case(records, 1010, T0, channel="email", priority="urgent")  # not answered yet
    await _case(records, 1011, T0 - minute, first_response_at=T0)  # opened before the span
    await _case(records, 1012, DAY, first_response_at=DAY + minute)  # the span's end is exclusive
    await _case(records, 1013, T0, first_response_at=T0, status="closed", reason=DUPLICATE_REASON)

    rows = await case_times(records, T0, DAY, StatFilter())

    assert [(r.channel, r.priority, r.cases, r.responded, r.solved) for r in rows] == [
        ("twitter", "normal", 4, 4, 2),
        ("email", "urgent", 1, 0, 0),
    ]
    twitter = rows[0]
    assert (twitter.first_response_p50_s, twitter.first_response_p90_s) == (180.0, 600.0)
    assert (twitter.resolution_p50_s, twitter.resolution_p90_s) == (1200.0, 1200.0)
    assert rows[1].first_response_p50_s is None and rows[1].resolution_p90_s is None


async def test_filters_by_channel_and_language_and_empty_spans(records: RecordStore) -> None:
    await _case(records, 1001, T0, language="es", first_response_at=T0 + timedelta(seconds=30))
    await _case(records, 1002, T0, channel="email", language="en", first_response_at=T0 + timedelta(hours=1))

    email = await case_times(records, T0, DAY, StatFilter(channel="email"))
    assert [(r.channel, r.first_response_p50_s) for r in email] == [("email", 3600.0)]
    spanish = await case_times(records, T0, DAY, StatFilter(language="es"))
    assert [(r.channel, r.first_response_p50_s) for r in spanish] == [("twitter", 30.0)]
    assert await case_times(records, DAY, DAY + timedelta(days=1), StatFilter()) == []
