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

from sqlalchemy import bindparam, func, select
from sqlalchemy.sql.expression import Executable

from bot.core.models import Decision
from bot.store.sql import rows
from bot.store.sql.schema import author_days, stat_minutes
from bot.store.sql.statements import dialect_insert
from bot.store.stats import AuthorStat, Dimension, StatCount, StatFilter

if TYPE_CHECKING:
    from bot.store.sql.executor import SqlExecutor

DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class StatStatements:
    bump_minute: Executable
    bump_author: Executable


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
    return StatStatements(bump, author)


def when(decision: Decision) -> datetime:
    """The message's own time, never later than its decision (a clock ahead of ours, or a
    platform's wrong timestamp, must not put it in the future)."""
    written = decision.message_at
    return min(written, decision.decided_at) if written else decision.decided_at


def bump_params(decisions: Sequence[Decision]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The counter increments of a batch of decisions: per minute, and per author and day."""
    minutes: Counter[tuple[int, str, str, str, str, str, str]] = Counter()
    authors: dict[tuple[int, str, str], dict[str, Any]] = {}
    for d in decisions:
        at = when(d).timestamp()
        channel = rows.channel_of_key(d.message_key) or ""
        minutes[(int(at // 60), channel, d.language, d.topic, d.region, d.action, d.sentiment)] += 1
        if not d.author:
            continue
        day = int(at // DAY_S)
        entry = authors.setdefault(
            (day, d.author, channel),
            {"day": day, "author": d.author, "channel": channel, "messages": 0, "positive": 0,
             "negative": 0, "reach": 0},
        )  # fmt: skip
        entry["messages"] += 1
        entry["positive"] += d.sentiment == "positive"
        entry["negative"] += d.sentiment == "negative"
        entry["reach"] = max(entry["reach"], d.reach)
    names = ("minute", "channel", "language", "topic", "region", "action", "sentiment")
    minute_rows = [{**dict(zip(names, key, strict=True)), "count": n} for key, n in minutes.items()]
    return minute_rows, list(authors.values())


async def stat_counts(
    executor: SqlExecutor,
    since: datetime,
    until: datetime,
    *,
    step_minutes: int,
    group_by: Dimension,
    where: StatFilter,
) -> list[StatCount]:
    """Counts per bucket of `step_minutes` (aligned on UTC epoch multiples), group value, action
    and sentiment, for minutes in [since, until)."""
    s = stat_minutes.c
    bucket = (s.minute // step_minutes) * step_minutes if step_minutes > 1 else s.minute
    group = s[group_by]
    stmt = select(bucket.label("b"), group, s.action, s.sentiment, func.sum(s.count))
    stmt = stmt.where(s.minute >= _minute(since, up=True), s.minute < _minute(until, up=True))
    for name, value in where.values().items():
        stmt = stmt.where(s[name] == value)
    stmt = stmt.group_by(bucket, group, s.action, s.sentiment).order_by(bucket)
    found = await executor.fetch(stmt)
    return [StatCount(rows.from_ts(int(b) * 60), g, a, se, int(n)) for b, g, a, se, n in found]


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
    ]
