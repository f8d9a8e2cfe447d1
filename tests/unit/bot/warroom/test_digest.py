"""When the daily digest is due, and what its settings accept."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import DashboardSettings
from bot.warroom.digest import digest_day, parse_time
from bot.warroom.digest_chart import HourBar, render_png

MADRID = ZoneInfo("Europe/Madrid")


def test_due_from_the_local_time_on_for_that_local_day() -> None:
    at = time(8, 30)
    assert digest_day(datetime(2026, 5, 20, 6, 29, tzinfo=UTC), at, MADRID) is None  # 08:29 CEST
    assert digest_day(datetime(2026, 5, 20, 6, 30, tzinfo=UTC), at, MADRID) == date(2026, 5, 20)
    # 23:30 UTC is 01:30 on the 21st in Madrid: the 21st's digest at 01:00, none yet at 08:30.
    assert digest_day(datetime(2026, 5, 20, 23, 30, tzinfo=UTC), time(1, 0), MADRID) == date(2026, 5, 21)
    assert digest_day(datetime(2026, 5, 20, 23, 30, tzinfo=UTC), at, MADRID) is None
    # In winter Madrid is UTC+1: 08:30 local is 07:30 UTC.
    assert digest_day(datetime(2026, 1, 10, 7, 29, tzinfo=UTC), at, MADRID) is None
    assert digest_day(datetime(2026, 1, 10, 7, 30, tzinfo=UTC), at, MADRID) == date(2026, 1, 10)


def test_digest_time_must_be_a_clock_time() -> None:
    assert DashboardSettings(digest_time="8:05").digest_time == "08:05"
    assert parse_time("08:05") == time(8, 5)
    for bad in ("24:00", "8", "08:60", "noon", "-1:30"):
        with pytest.raises(ValidationError):
            DashboardSettings(digest_time=bad)
    with pytest.raises(ValidationError, match="unknown time zone"):
        DashboardSettings(timezone="Mars/Olympus")


def test_the_chart_is_a_png() -> None:
    bars = [HourBar(datetime(2026, 5, 20, h, tzinfo=UTC), {"negative": h, "positive": 1}) for h in range(24)]
    png = render_png(bars, title="t", tz=MADRID, legend={"negative": "n", "neutral": "m", "positive": "p"})
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
