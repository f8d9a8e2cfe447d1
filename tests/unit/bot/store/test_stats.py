"""Buckets and rollups of the dashboard's figures: boundaries, time zones, empty periods, spikes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.store.stats import StatCount, bucket_starts, rising, rollup, span_end, topic_trends, zone

NOW = datetime(2026, 5, 20, 9, 7, 42, tzinfo=UTC)
MADRID = ZoneInfo("Europe/Madrid")


def _row(at: datetime, n: int = 1, group: str = "twitter", action: str = "monitor") -> StatCount:
    return StatCount(at, group, action, "neutral", n)


def test_the_hour_is_sixty_minutes_ending_with_the_current_one() -> None:
    starts = bucket_starts("hour", NOW, MADRID)
    assert len(starts) == 60
    assert starts[-1] == datetime(2026, 5, 20, 9, 7, tzinfo=UTC)
    assert starts[0] == datetime(2026, 5, 20, 8, 8, tzinfo=UTC)
    assert span_end("hour", starts, MADRID) == datetime(2026, 5, 20, 9, 8, tzinfo=UTC)


def test_the_day_is_ninety_six_quarters_aligned_on_the_quarter() -> None:
    starts = bucket_starts("day", NOW, MADRID)
    assert len(starts) == 96 and starts[-1] == datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    assert all(s.minute % 15 == 0 for s in starts)


def test_thirty_local_days_across_a_daylight_saving_change() -> None:
    # Madrid moved to summer time on 29 March 2026: that local day lasted 23 hours.
    starts = bucket_starts("month", datetime(2026, 4, 10, 12, tzinfo=UTC), MADRID)
    assert len(starts) == 30
    assert starts[0] == datetime(2026, 3, 11, 23, 0, tzinfo=UTC)  # CET midnight
    assert starts[-1] == datetime(2026, 4, 9, 22, 0, tzinfo=UTC)  # CEST midnight
    march_29 = starts.index(datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert starts[march_29 + 1] - starts[march_29] == timedelta(hours=23)


def test_rows_fall_in_their_bucket_and_empty_buckets_are_zero() -> None:
    minute = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
    series = rollup("hour", "channel", [_row(minute, 3), _row(minute, 2, "email", "answer")], NOW)
    totals = {b.start: (b.total, b.automatic, b.groups) for b in series.buckets if b.total}
    assert totals == {minute: (5, 2, {"twitter": 3, "email": 2})}
    assert sum(b.total for b in series.buckets) == 5 and len(series.buckets) == 60
    assert series.groups() == ["twitter", "email"]


def test_rows_outside_the_span_are_left_out() -> None:
    series = rollup("hour", "channel", [_row(NOW - timedelta(hours=2))], NOW)
    assert sum(b.total for b in series.buckets) == 0
    assert not any(b.spike for b in series.buckets)


def test_quarters_roll_up_into_local_days() -> None:
    # 22:00 UTC on 19 May is midnight in Madrid: the 20th there.
    rows = [
        _row(datetime(2026, 5, 19, 21, 45, tzinfo=UTC)),
        _row(datetime(2026, 5, 19, 22, 0, tzinfo=UTC), 4),
    ]
    series = rollup("month", "channel", rows, NOW, MADRID)
    assert [b.total for b in series.buckets[-2:]] == [1, 4]
    assert series.tz == "Europe/Madrid" and series.step == "day"


def test_a_burst_is_marked_as_a_spike_and_calm_traffic_is_not() -> None:
    start = datetime(2026, 5, 20, 8, 10, tzinfo=UTC)
    calm = [_row(start + timedelta(minutes=i), 2) for i in range(50)]
    burst = _row(datetime(2026, 5, 20, 9, 1, tzinfo=UTC), 40)
    series = rollup("hour", "channel", [*calm, burst], NOW)
    assert [b.start for b in series.buckets if b.spike] == [burst.start]
    assert not any(b.spike for b in rollup("hour", "channel", calm, NOW).buckets)


def test_rising_topics_at_least_double_against_the_previous_period() -> None:
    now = [_row(NOW, 30, "no-internet"), _row(NOW, 10, "billing"), _row(NOW, 6, "new-thing")]
    before = [_row(NOW, 5, "no-internet"), _row(NOW, 9, "billing")]
    trends = topic_trends(now, before)
    assert [t.topic for t in trends] == ["no-internet", "billing", "new-thing"]
    assert [t.topic for t in rising(trends)] == ["no-internet", "new-thing"]


def test_an_unknown_time_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Mars/Olympus")
