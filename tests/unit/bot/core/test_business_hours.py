"""Business hours in the team's time zone: deadlines skip nights and weekends, and survive DST."""

from __future__ import annotations

from datetime import UTC, datetime, time

from bot.core.business_hours import BusinessHours

MADRID = BusinessHours(timezone="Europe/Madrid", start=time(9), end=time(18))


def test_a_target_runs_over_the_night_into_the_next_working_day() -> None:
    friday_five_pm = datetime(2026, 5, 22, 15, 0, tzinfo=UTC)  # 17:00 in Madrid (UTC+2)
    deadline = MADRID.deadline(friday_five_pm, 4 * 3600)
    assert deadline == datetime(2026, 5, 25, 10, 0, tzinfo=UTC)  # Monday 12:00 in Madrid
    assert MADRID.elapsed(friday_five_pm, deadline) == 4 * 3600


def test_before_opening_the_clock_starts_at_opening_time_across_dst() -> None:
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # Saturday night; DST starts on Sunday
    assert MADRID.deadline(night, 3600) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST


def test_always_on_teams_count_every_second() -> None:
    always = BusinessHours(always=True)
    start = datetime(2026, 5, 23, 3, 0, tzinfo=UTC)
    assert always.deadline(start, 90) == datetime(2026, 5, 23, 3, 1, 30, tzinfo=UTC)
