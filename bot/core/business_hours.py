"""Business hours of a team in its own time zone: when an SLA clock runs.

Why computed in local time: a 4-hour target on a case opened at 17:00 in Madrid ends at 12:00
the next working day, across a daylight-saving change if there is one; doing the arithmetic on
the team's wall clock (zoneinfo) and converting back is what makes that right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from bot.core.zones import known_zone

MAX_DAYS: Final = 3660  # a target longer than ten years of working days is a mistake


class BusinessHours(BaseModel):
    timezone: str = "UTC"
    days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], description="0 = Monday")
    start: time = time(9, 0)
    end: time = time(18, 0)
    always: bool = Field(False, description="24/7: every second counts")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)  # a bad config fails at start-up, with a readable message

    def deadline(self, start: datetime, seconds: float) -> datetime:
        """When `seconds` of business time after `start` are used up."""
        if self.always:
            return start + timedelta(seconds=seconds)
        left = seconds
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        for offset in range(MAX_DAYS):
            window = self._window(day + timedelta(days=offset), zone)
            if window is None:
                continue
            opens, closes = max(window[0], start), window[1]
            if closes <= opens:
                continue
            available = (closes - opens).total_seconds()
            if left <= available:
                return opens + timedelta(seconds=left)
            left -= available
        raise ValueError("no business hours to count on: check the days and hours")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds between `start` and `end`."""
        if self.always:
            return max(0.0, (end - start).total_seconds())
        total = 0.0
        zone = ZoneInfo(self.timezone)
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        while day <= last:
            window = self._window(day, zone)
            if window is not None:
                opens, closes = max(window[0], start), min(window[1], end)
                total += max(0.0, (closes - opens).total_seconds())
            day += timedelta(days=1)
        return total

    def _window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        opens = datetime.combine(day, self.start, zone).astimezone(UTC)
        closes = datetime.combine(day, self.end, zone).astimezone(UTC)
        return (opens, closes) if closes > opens else None
