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
from datetime import datetime

from bot.core.cases import Case
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
        case = Case.from_record(record.id, record.version, record.data)
        if not since <= case.opened_at < until or case.reason.startswith("duplicate"):
            continue
        if where.language and case.language != where.language:
            continue
        group = groups[(case.channel, case.priority)]
        group.cases += 1
        if case.first_response_at is not None:
            group.first.append(_seconds(case.opened_at, case.first_response_at))
        if case.solved_at is not None:
            group.resolved.append(_seconds(case.opened_at, case.solved_at))
    rows = [
        CaseTimesOut(
            channel=channel, priority=priority, cases=g.cases, responded=len(g.first), solved=len(g.resolved),
            first_response_p50_s=_p(g.first, 0.5), first_response_p90_s=_p(g.first, 0.9),
            resolution_p50_s=_p(g.resolved, 0.5), resolution_p90_s=_p(g.resolved, 0.9),
        )
        for (channel, priority), g in groups.items()
    ]  # fmt: skip
    return sorted(rows, key=lambda r: (-r.cases, r.channel, r.priority))
