"""When a campaign step happens: `start|end[±Nd] HH:MM`, local time in the window's zone.

Why a grammar of its own instead of absolute timestamps: marketers think in days of the
campaign ("five days before the end, at ten"), and a window moved by a week must move every
step with it. Local wall time is what they mean, so the UTC instant is derived with `zoneinfo`
on the step's own date: 09:00 in Madrid is 07:00Z in summer and 08:00Z in winter, whatever the
offset was on the window's first day. A wall time that does not exist that day (the hour
skipped when clocks go forward) is refused rather than silently moved; a wall time that occurs
twice (the hour repeated when clocks go back) means its first occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_AT = re.compile(r"^\s*(start|end)\s*(?:([+-])\s*(\d{1,3})\s*d)?\s+(\d{1,2}):(\d{2})\s*$")


class StepTimeError(ValueError):
    """An `at` that is not `start|end[±Nd] HH:MM`, or names a local time that does not exist."""


@dataclass(frozen=True, slots=True)
class StepTime:
    """A step's instant, both as the people in the zone read it and as the scheduler keys it."""

    local: datetime
    utc: datetime

    @property
    def utc_text(self) -> str:
        """`2026-05-20T07:00:00Z`: the form in idempotency keys and in `preview`."""
        return self.utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def step_date(at: str, start: date, end: date) -> tuple[date, time]:
    """The local date and wall time an `at` expression names for this window."""
    match = _AT.match(at)
    if match is None:
        raise StepTimeError(f"bad time {at!r}: expected 'start|end[±Nd] HH:MM', e.g. 'end-5d 10:00'")
    anchor, sign, days, hours, minutes = match.groups()
    if int(hours) > 23 or int(minutes) > 59:
        raise StepTimeError(f"bad time {at!r}: {hours}:{minutes} is not a time of day")
    offset = timedelta(days=int(days or 0)) * (-1 if sign == "-" else 1)
    base = start if anchor == "start" else end
    return base + offset, time(int(hours), int(minutes))


def local_instant(day: date, wall: time, zone: ZoneInfo) -> StepTime:
    """`day` at `wall` in `zone`; a wall time skipped by a DST change raises `StepTimeError`."""
    naive = datetime.combine(day, wall)
    local = naive.replace(tzinfo=zone, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise StepTimeError(
            f"bad time: {naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks go forward then)"
        )
    return StepTime(local=local, utc=utc)
