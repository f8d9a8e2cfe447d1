"""The dashboard's figures: time buckets and rollups over the per-minute aggregates.

Why buckets are computed here and not in SQL: the store groups its per-minute rows by minute or
by quarter hour (`minute // 15`, the same integer arithmetic on SQLite and PostgreSQL), and this
module turns quarters into *local* days. Every time zone in use today is offset from UTC by a
whole number of quarter hours, so a quarter never straddles a local midnight, and a day with a
daylight-saving change simply has 92 or 100 quarters. Empty buckets are filled with zeros, so a
chart's axis is the same whatever the traffic.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Literal, get_args
from zoneinfo import ZoneInfo

Dimension = Literal["channel", "language", "topic", "region", "action", "sentiment"]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
Span = Literal["hour", "day", "month"]
SPANS: tuple[Span, ...] = get_args(Span)
STEP_NAMES: dict[Span, str] = {"hour": "minute", "day": "15min", "month": "day"}
QUARTER = 15
SPIKE_FACTOR = 3.0
SPIKE_MIN = 5


@dataclass(frozen=True, slots=True)
class StatFilter:
    """Which decisions count: each set field must match exactly."""

    channel: str | None = None
    language: str | None = None
    region: str | None = None
    topic: str | None = None

    def values(self) -> dict[str, str]:
        return {k: v for k, v in (("channel", self.channel), ("language", self.language),
                                  ("region", self.region), ("topic", self.topic)) if v}  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatCount:
    """Decisions in one store bucket (a minute or a quarter hour, UTC) for one group value."""

    start: datetime
    group: str
    action: str
    sentiment: str
    count: int


@dataclass(frozen=True, slots=True)
class AuthorStat:
    """One author's messages in a range (the People view)."""

    author: str
    channel: str
    messages: int
    positive: int
    negative: int
    reach: int
    helped: int = 0  # community replies to another customer (the People view adds them)


@dataclass(slots=True)
class Bucket:
    start: datetime
    total: int = 0
    automatic: int = 0  # decided `answer`: answered without a person
    groups: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    spike: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    span: Span
    step: str
    group_by: Dimension
    tz: str
    buckets: list[Bucket]

    def groups(self) -> list[str]:
        """Group values, largest first (the chart's legend order)."""
        totals: Counter[str] = Counter()
        for b in self.buckets:
            totals.update(b.groups)
        return [g for g, _ in totals.most_common()]


UTC_ZONE = ZoneInfo("UTC")


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name; ValueError (a 400 at the API) for an unknown one. Reads the
    tz database from disk the first time: call it off the event loop (`asyncio.to_thread`)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def bucket_starts(span: Span, until: datetime, tz: ZoneInfo) -> list[datetime]:
    """The starts (UTC) of the buckets of `span` ending with the one holding `until`."""
    until = until.astimezone(UTC)
    if span == "hour":
        last = until.replace(second=0, microsecond=0)
        return [last - timedelta(minutes=i) for i in range(59, -1, -1)]
    if span == "day":
        last = until.replace(minute=until.minute - until.minute % QUARTER, second=0, microsecond=0)
        return [last - timedelta(minutes=QUARTER * i) for i in range(95, -1, -1)]
    today = until.astimezone(tz).date()
    days = [today - timedelta(days=i) for i in range(29, -1, -1)]
    return [datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(UTC) for d in days]


def span_end(span: Span, starts: list[datetime], tz: ZoneInfo) -> datetime:
    """Where the last bucket ends (exclusive)."""
    last = starts[-1]
    if span == "hour":
        return last + timedelta(minutes=1)
    if span == "day":
        return last + timedelta(minutes=QUARTER)
    local = last.astimezone(tz).date() + timedelta(days=1)
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def store_step(span: Span) -> int:
    """Minutes per bucket the store groups by for a span (days are rolled up from quarters)."""
    return 1 if span == "hour" else QUARTER


def rollup(
    span: Span, group_by: Dimension, rows: list[StatCount], until: datetime, tz: ZoneInfo = UTC_ZONE
) -> Series:
    """Place the store's rows into the span's buckets; empty buckets stay at zero."""
    starts = bucket_starts(span, until, tz)
    buckets = {s: Bucket(start=s) for s in starts}
    for row in rows:
        start = _bucket_of(span, row.start, tz)
        bucket = buckets.get(start)
        if bucket is None:
            continue
        bucket.total += row.count
        if row.action == "answer":
            bucket.automatic += row.count
        bucket.groups[row.group] = bucket.groups.get(row.group, 0) + row.count
        bucket.sentiment[row.sentiment] = bucket.sentiment.get(row.sentiment, 0) + row.count
    ordered = [buckets[s] for s in starts]
    mark_spikes(ordered)
    return Series(span, STEP_NAMES[span], group_by, tz.key, ordered)


def _bucket_of(span: Span, at: datetime, tz: ZoneInfo) -> datetime:
    if span != "month":
        return at
    local = at.astimezone(tz).date()
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


def mark_spikes(buckets: list[Bucket]) -> None:
    """A bucket is a spike when it holds at least `SPIKE_MIN` decisions and `SPIKE_FACTOR` times
    the span's typical bucket (the median of its non-empty buckets): marked on the curve."""
    busy = [b.total for b in buckets if b.total]
    if not busy:
        return
    typical = median(busy)
    for b in buckets:
        b.spike = b.total >= SPIKE_MIN and b.total >= SPIKE_FACTOR * typical


@dataclass(frozen=True, slots=True)
class TopicTrend:
    topic: str
    count: int
    previous: int

    @property
    def growth(self) -> float:
        """How many times the previous period's volume (new topics count as +1 before)."""
        return self.count / max(self.previous, 1)


def topic_trends(current: list[StatCount], previous: list[StatCount]) -> list[TopicTrend]:
    """Topics of the period, largest first, with the previous period beside them."""
    now: dict[str, int] = defaultdict(int)
    before: dict[str, int] = defaultdict(int)
    for row in current:
        if row.group:
            now[row.group] += row.count
    for row in previous:
        if row.group:
            before[row.group] += row.count
    trends = [TopicTrend(t, n, before.get(t, 0)) for t, n in now.items()]
    return sorted(trends, key=lambda t: (-t.count, t.topic))


def rising(trends: list[TopicTrend], *, minimum: int = SPIKE_MIN) -> list[TopicTrend]:
    """Topics that at least doubled against the previous period, fastest first."""
    up = [t for t in trends if t.count >= minimum and t.growth >= 2.0]
    return sorted(up, key=lambda t: (-t.growth, -t.count, t.topic))
