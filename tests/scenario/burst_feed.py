"""A burst replay moved to now: the dashboard's tests see it in the live spans.

The burst files are dated (an outage in March); the dashboard's spans end now. Shifting every
message by the same amount keeps the burst's shape and puts its peak quarter hour at a time the
test knows in advance (`peak`), always in the past, so nothing is dated ahead of the service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.paths import TEST_DATA

BURST = TEST_DATA / "bursts" / "madrid_small.jsonl"
PEAK = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the outage's first quarter hour in the file


@dataclass(frozen=True, slots=True)
class ShiftedBurst:
    messages: list[dict[str, Any]]
    peak: datetime  # where PEAK lands: the quarter hour the dashboard must mark as the spike


def _when(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def shifted_burst(now: datetime, path: Path = BURST) -> ShiftedBurst:
    """The burst with its peak quarter 45 minutes before the current quarter hour."""
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    peak = quarter - timedelta(minutes=45)
    shift = peak - PEAK
    messages = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        body = {k: v for k, v in row.items() if k not in ("expect", "burst")}
        body["created_at"] = (_when(row["created_at"]) + shift).isoformat().replace("+00:00", "Z")
        messages.append(body)
    return ShiftedBurst(messages, peak)
