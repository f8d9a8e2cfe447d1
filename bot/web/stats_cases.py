"""Case times for the Quality view: first response and resolution, p50/p90, by channel and priority.

Why from the case records and in wall-clock time: the case itself records when it was opened,
when a person first answered (a note or a status change: `first_response_at`, the SLA's first
response) and when it was solved, so the figures need no scan of messages. Customers wait in
wall-clock time, so the dashboard shows that; `/api/v1/sla` gives the same measures in the
team's business time. The cohort is the cases *opened* in the span: the query asks the indexed
`created_at` for records created at or after the span's start (a case is stored no earlier than
the message that opened it) and keeps those whose `opened_at` falls in the span.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.records import RecordKind
from bot.engine.sla import percentile
from bot.store.records import RecordFilter, RecordStore
from bot.store.scan import iter_records
from bot.store.stats import StatFilter
from bot.web.stats_models import CaseTimesOut


@dataclass(slots=True)
class _Group:
    cases: int = 0
    first: list[float] = field(default_factory=list)
    resolved: list[float] = field(default_factory=list)


def _time(value: object) -> datetime | None:
    """A stored case time (ISO 8601, as `Case.record_data` writes it), or None."""
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _seconds(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0)


def _p(values: list[float], share: float) -> float | None:
    found = percentile(values, share)
    return round(found, 1) if found is not None else None


async def case_times(
    records: RecordStore, since: datetime, until: datetime, where: StatFilter
) -> list[CaseTimesOut]:
    """One row per (channel, priority) with cases opened in [since, until), busiest first.

    The channel filter is an indexed column and the language one is on the case; cases carry no
    region or topic, so those filters do not narrow these figures.
    """
    groups: dict[tuple[str, str], _Group] = defaultdict(_Group)
    opened_since = RecordFilter(RecordKind.CASE, channel=where.channel, since=since)
    async for record in iter_records(records, opened_since):
        d = record.data  # read as stored: a full `Case` validation per case costs most of the time
        opened = _time(d.get("opened_at"))
        if opened is None or not since <= opened < until or str(d.get("reason", "")).startswith("duplicate"):
            continue
        if where.language and d.get("language") != where.language:
            continue
        group = groups[(str(d.get("channel", "")), str(d.get("priority", "normal")))]
        group.cases += 1
        if (first := _time(d.get("first_response_at"))) is not None:
            group.first.append(_seconds(opened, first))
        if (solved := _time(d.get("solved_at"))) is not None:
            group.resolved.append(_seconds(opened, solved))
    rows = [
        CaseTimesOut(
            channel=channel, priority=priority, cases=g.cases, responded=len(g.first), solved=len(g.resolved),
            first_response_p50_s=_p(g.first, 0.5), first_response_p90_s=_p(g.first, 0.9),
            resolution_p50_s=_p(g.resolved, 0.5), resolution_p90_s=_p(g.resolved, 0.9),
        )
        for (channel, priority), g in groups.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.cases, r.channel, r.priority))
