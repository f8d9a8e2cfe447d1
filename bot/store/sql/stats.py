"""The dashboard's aggregates in SQL: written with the decisions, read by time range.

Why counters and not a query over `decisions`: thirty days of a busy channel are millions of
rows, and the dashboard asks every few seconds. Each decision adds one to its minute's row (and
its author's day), in the same transaction as the decision itself, so the figures never drift
from the decisions; a read is a primary-key range scan grouped in SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, literal, select
from sqlalchemy.sql.expression import Executable

from bot.core.models import Decision
from bot.store.sql import rows
from bot.store.sql.schema import author_days, stat_days, stat_minutes
from bot.store.sql.statements import dialect_insert
from bot.store.stats import AuthorStat, Dimension, StatCount, StatFilter

if TYPE_CHECKING:
    from bot.store.sql.executor import SqlExecutor

DAY_S = 86_400
BACKFILL_MINUTES = 20_000


DAY_DIMENSIONS: tuple[str, ...] = ("channel", "language", "topic", "region")


@dataclass(frozen=True, slots=True)
class StatStatements:
    bump_minute: Executable
    bump_author: Executable
    bump_day: Executable


def build_stat_statements(dialect: str) -> StatStatements:
    dims = [c for c in stat_minutes.primary_key.columns]
    bump = dialect_insert(dialect, stat_minutes).values(
        {c.name: bindparam(c.name) for c in stat_minutes.columns}
    )
    bump = bump.on_conflict_do_update(
        index_elements=dims, set_={"count": stat_minutes.c.count + bump.excluded["count"]}
    )
    author = dialect_insert(dialect, author_days).values(
        {c.name: bindparam(c.name) for c in author_days.columns}
    )
    a = author_days.c
    author = author.on_conflict_do_update(
        index_elements=[a.day, a.author, a.channel],
        set_={
            "messages": a.messages + author.excluded.messages,
            "positive": a.positive + author.excluded.positive,
            "negative": a.negative + author.excluded.negative,
            "reach": func.greatest(a.reach, author.excluded.reach)
            if dialect == "postgresql"
            else func.max(a.reach, author.excluded.reach),
        },
    )
    d = stat_days.c
    day = dialect_insert(dialect, stat_days).values({c.name: bindparam(c.name) for c in stat_days.columns})
    day = day.on_conflict_do_update(
        index_elements=[d.zone, d.day, d.dimension, d.value, d.action, d.sentiment],
        set_={"count": d.count + day.excluded["count"]},
    )
    return StatStatements(bump, author, day)


async def day_counts(
    executor: SqlExecutor, zone: ZoneInfo, starts: Sequence[datetime], group_by: Dimension
) -> list[StatCount]:
    """The local days beginning at `starts` from `stat_days` (unfiltered views only)."""
    d = stat_days.c
    dimension = group_by if group_by in DAY_DIMENSIONS else "channel"  # any one sums to the total
    group = d.value if group_by in DAY_DIMENSIONS else d[group_by]
    first, last = (s.astimezone(zone).date().toordinal() for s in (starts[0], starts[-1]))
    stmt = (
        select(d.day, group, d.action, d.sentiment, func.sum(d.count))
        .where(d.zone == zone.key, d.dimension == dimension, d.day >= first, d.day <= last)
        .group_by(d.day, group, d.action, d.sentiment)
    )
    by_ordinal = {s.astimezone(zone).date().toordinal(): s for s in starts}
    return [
        StatCount(by_ordinal[int(day)], str(g), str(a), str(se), int(n))
        for day, g, a, se, n in await executor.fetch(stmt)
        if int(day) in by_ordinal and int(n)
    ]


async def backfill_days(executor: SqlExecutor, zone: ZoneInfo) -> int:
    """Fill `stat_days` for a zone it has no row for (an upgraded database, a changed zone)
    from `stat_minutes`, once, in chunks; returns the minute rows read."""
    d, s = stat_days.c, stat_minutes.c
    if await executor.fetch(select(d.day).where(d.zone == zone.key).limit(1)):
        return 0
    bump = build_stat_statements(executor.dialect_name).bump_day
    read, after = 0, -1
    while True:
        chunk = await executor.fetch(
            select(s.minute, s.channel, s.language, s.topic, s.region, s.action, s.sentiment, s.count)
            .where(s.minute > after).order_by(s.minute).limit(BACKFILL_MINUTES)
        )  # fmt: skip
        if not chunk:
            return read
        last_minute = int(chunk[-1][0])
        whole = (
            [r for r in chunk if int(r[0]) < last_minute] if len(chunk) == BACKFILL_MINUTES else list(chunk)
        )
        if not whole:  # one minute holds the whole chunk: take that minute alone
            whole = list(await executor.fetch(
                select(s.minute, s.channel, s.language, s.topic, s.region, s.action, s.sentiment, s.count)
                .where(s.minute == last_minute)
            ))  # fmt: skip
        days: Counter[tuple[int, str, str, str, str]] = Counter()
        for minute, channel, language, topic, region, action, sentiment, n in whole:
            local = rows.from_ts(int(minute) * 60).astimezone(zone).date().toordinal()
            for dimension, value in zip(DAY_DIMENSIONS, (channel, language, topic, region), strict=True):
                days[(local, dimension, value, action, sentiment)] += int(n)
        await executor.batch([(bump, day_rows(zone, days))], rowcounts=False)
        read += len(whole)
        after = int(whole[-1][0])


def when(decision: Decision) -> datetime:
    """The message's own time, never later than its decision (a clock ahead of ours, or a
    platform's wrong timestamp, must not put it in the future)."""
    written = decision.message_at
    return min(written, decision.decided_at) if written else decision.decided_at


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """A batch's changes to every aggregate table, one row per key: the upserts `save_decisions`
    runs. Rows whose change nets to zero (a redelivery decided the same) are left out."""

    minutes: list[dict[str, Any]]  # minute_counts: by decision minute, channel, action, tone
    stats: list[dict[str, Any]]  # stat_minutes: by message minute and every dimension
    authors: list[dict[str, Any]]  # author_days
    days: list[dict[str, Any]]  # stat_days, in `zone`


MINUTE_NAMES = ("minute", "channel", "language", "topic", "region", "action", "sentiment")


def batch_counts(decisions: Sequence[Decision], weights: Sequence[int], zone: ZoneInfo) -> BatchCounts:
    """Fold a batch into its aggregate changes in one pass. A weight of -1 takes a decision back
    out (the earlier decision of a redelivered message).

    Why one pass: the batch's decisions are walked once, not once per table, and the local day
    is worked out once per message minute (every zone in use is offset by whole minutes)."""
    legacy: Counter[tuple[int, str, str, str]] = Counter()
    minutes: Counter[tuple[int, str, str, str, str, str, str]] = Counter()
    days: Counter[tuple[int, str, str, str, str]] = Counter()
    authors: dict[tuple[int, str, str], dict[str, Any]] = {}
    local_days: dict[int, int] = {}
    for d, w in zip(decisions, weights, strict=True):
        channel = rows.channel_of_key(d.message_key) or ""
        action, sentiment = d.action, d.sentiment
        legacy[(int(d.decided_at.timestamp() // 60), channel, action, sentiment)] += w
        at = when(d).timestamp()
        minute = int(at // 60)
        minutes[(minute, channel, d.language, d.topic, d.region, action, sentiment)] += w
        local = local_days.get(minute)
        if local is None:
            local = local_days[minute] = rows.from_ts(minute * 60).astimezone(zone).date().toordinal()
        for dimension, value in zip(DAY_DIMENSIONS, (channel, d.language, d.topic, d.region), strict=True):
            days[(local, dimension, value, action, sentiment)] += w
        if not d.author:
            continue
        day = int(at // DAY_S)
        entry = authors.setdefault(
            (day, d.author, channel),
            {"day": day, "author": d.author, "channel": channel, "messages": 0, "positive": 0,
             "negative": 0, "reach": 0},
        )  # fmt: skip
        entry["messages"] += w
        entry["positive"] += w * (sentiment == "positive")
        entry["negative"] += w * (sentiment == "negative")
        if w > 0:  # the greatest reach seen stays: taking a message back does not lower it
            entry["reach"] = max(entry["reach"], d.reach)
    return BatchCounts(
        minutes=[
            {"minute": m, "channel": c, "action": a, "sentiment": se, "n": n}
            for (m, c, a, se), n in legacy.items()
            if n
        ],
        stats=[{**dict(zip(MINUTE_NAMES, key, strict=True)), "count": n} for key, n in minutes.items() if n],
        authors=[a for a in authors.values() if a["messages"] or a["reach"]],
        days=day_rows(zone, Counter({k: n for k, n in days.items() if n})),
    )


def day_rows(zone: ZoneInfo, days: Counter[tuple[int, str, str, str, str]]) -> list[dict[str, Any]]:
    """`stat_days` upsert rows from counts by (local day, dimension, value, action, sentiment)."""
    return [
        {
            "zone": zone.key,
            "day": day,
            "dimension": dim,
            "value": v,
            "action": a,
            "sentiment": se,
            "count": n,
        }
        for (day, dim, v, a, se), n in days.items()
    ]


async def stat_counts(
    executor: SqlExecutor,
    since: datetime,
    until: datetime,
    *,
    step_minutes: int,
    group_by: Dimension,
    where: StatFilter,
    starts: Sequence[datetime] | None = None,
) -> list[StatCount]:
    """Counts per bucket of `step_minutes` (aligned on UTC epoch multiples), or per bucket
    beginning at each of `starts` (local days: one CASE branch per day, so SQL returns 30 rows
    per group, not 2,880 quarters), by group value, action and sentiment, in [since, until)."""
    s = stat_minutes.c
    bucket: Any
    if starts:
        edges = [_minute(at, up=True) for at in starts]
        branches = [(s.minute < edges[i + 1], edges[i]) for i in range(len(edges) - 1)]
        bucket = case(*branches, else_=edges[-1]) if branches else literal(edges[0])
    elif step_minutes > 1:
        bucket = (s.minute // step_minutes) * step_minutes
    else:
        bucket = s.minute
    group = s[group_by]
    stmt = select(bucket.label("b"), group, s.action, s.sentiment, func.sum(s.count))
    stmt = stmt.where(s.minute >= _minute(since, up=True), s.minute < _minute(until, up=True))
    for name, value in where.values().items():
        stmt = stmt.where(s[name] == value)
    stmt = stmt.group_by(bucket, group, s.action, s.sentiment).order_by(bucket)
    found = await executor.fetch(stmt)
    # A count taken back to 0 (a redelivered decision) is no row.
    return [StatCount(rows.from_ts(int(b) * 60), g, a, se, int(n)) for b, g, a, se, n in found if int(n)]


def _minute(at: datetime, *, up: bool) -> int:
    """The first whole minute at or after `at` (bounds are bucket starts, so exact)."""
    seconds = at.timestamp()
    whole = int(seconds // 60)
    return whole + 1 if up and whole * 60 < seconds else whole


async def author_stats(
    executor: SqlExecutor, since: datetime, until: datetime, *, channel: str | None = None
) -> list[AuthorStat]:
    """Per author over the UTC days overlapping [since, until): messages, tone, greatest reach."""
    a = author_days.c
    stmt = select(
        a.author,
        a.channel,
        func.sum(a.messages),
        func.sum(a.positive),
        func.sum(a.negative),
        func.max(a.reach),
    ).where(a.day >= int(since.timestamp() // DAY_S), a.day <= int((until.timestamp() - 1) // DAY_S))
    if channel:
        stmt = stmt.where(a.channel == channel)
    stmt = stmt.group_by(a.author, a.channel)
    return [
        AuthorStat(str(u), str(c), int(m), int(p), int(n), int(r or 0))
        for u, c, m, p, n, r in await executor.fetch(stmt)
        if int(m)
    ]
