"""The dashboard's figures, assembled from the records store for the API and the page alike.

Why one place: the REST API (`/api/v1/stats/...`), the dashboard's live feed and the daily
digest show the same numbers; computing them twice would let them disagree. Volume comes from
the per-minute aggregates (no scan of messages); what is open (alerts, incidents, the agent
queue) from indexed record queries filtered on status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.alerts import Alert
from bot.core.incidents import Incident
from bot.core.models import Record, utc_now
from bot.core.records import RecordKind
from bot.pipeline.guards import KILL_SWITCH
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records
from bot.store.stats import (
    Dimension,
    Series,
    Span,
    StatFilter,
    TopicTrend,
    bucket_starts,
    rising,
    rollup,
    span_end,
    store_step,
    topic_trends,
)
from bot.web import stats_models as out
from bot.web.stats_cases import case_times
from bot.web.stats_community import helped_counts
from bot.web.stats_corrections import corrections

OPEN_STATUSES = ("open", "acknowledged")
PEOPLE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class StatQuery:
    """What a stats request asks: a span ending at `until`, grouped and filtered."""

    span: Span
    until: datetime
    tz: ZoneInfo
    group_by: Dimension = "channel"
    where: StatFilter = field(default_factory=StatFilter)


async def series(store: Store, q: StatQuery) -> Series:
    starts = bucket_starts(q.span, q.until, q.tz)
    rows = await store.records.stat_counts(
        starts[0], span_end(q.span, starts, q.tz), step_minutes=store_step(q.span), group_by=q.group_by,
        where=q.where, starts=starts if q.span == "month" else None, zone=q.tz if q.span == "month" else None,
    )  # fmt: skip
    return rollup(q.span, q.group_by, rows, q.until, q.tz)


def volume_out(s: Series) -> out.VolumeOut:
    buckets = [
        out.BucketOut(start=b.start, total=b.total, automatic=b.automatic, groups=b.groups,
                      sentiment=b.sentiment, spike=b.spike)
        for b in s.buckets
    ]  # fmt: skip
    return out.VolumeOut(
        span=s.span, step=s.step, group_by=s.group_by, tz=s.tz, groups=s.groups(), buckets=buckets
    )


async def volume(store: Store, q: StatQuery) -> out.VolumeOut:
    return volume_out(await series(store, q))


async def topics(store: Store, q: StatQuery) -> out.TopicsOut:
    starts = bucket_starts(q.span, q.until, q.tz)
    end = span_end(q.span, starts, q.tz)
    length = end - starts[0]
    ask = store.records.stat_counts
    step = int(length.total_seconds() // 60)
    if q.span == "month":  # local days: read from the day totals when nothing is filtered
        earlier = bucket_starts("month", starts[0] - timedelta(microseconds=1), q.tz)
        now = await ask(
            starts[0], end, step_minutes=step, group_by="topic", where=q.where, starts=starts, zone=q.tz
        )
        before = await ask(
            earlier[0],
            starts[0],
            step_minutes=step,
            group_by="topic",
            where=q.where,
            starts=earlier,
            zone=q.tz,
        )
    else:
        now = await ask(starts[0], end, step_minutes=step, group_by="topic", where=q.where)
        before = await ask(starts[0] - length, starts[0], step_minutes=step, group_by="topic", where=q.where)
    trends = topic_trends(now, before)

    def one(t: TopicTrend) -> out.TopicOut:
        return out.TopicOut(topic=t.topic, count=t.count, previous=t.previous, growth=round(t.growth, 2))

    return out.TopicsOut(
        span=q.span,
        top=[one(t) for t in trends[:20]],
        rising=[one(t) for t in rising(trends)[:10]],
        campaigns=await _campaign_echoes(store, starts[0], max(end, utc_now())),
    )


def _alert_row(r: Record, now: datetime, sla: timedelta) -> out.AlertOut:
    alert = Alert.from_record(r)
    topic = alert.topic or alert.author or ""
    return _open_row(r, alert.kind, alert.status, topic, alert.at, alert.acknowledged_by, now, sla)


def _incident_row(r: Record, now: datetime, sla: timedelta) -> out.AlertOut:
    incident = Incident.from_record(r)
    return _open_row(
        r, RecordKind.INCIDENT, incident.status, incident.topic or "", incident.opened_at, None, now, sla
    )


def _open_row(
    r: Record,
    kind: str,
    status: str,
    topic: str,
    at: str,
    acknowledged_by: str | None,
    now: datetime,
    sla: timedelta,
) -> out.AlertOut:
    """One row of the Now view's open list: alerts and incidents side by side, with their age."""
    age = (now - r.created_at).total_seconds()
    return out.AlertOut(
        id=r.id,
        kind=kind,
        status=status,
        topic=topic,
        at=at or r.created_at.isoformat(),
        age_s=round(max(age, 0.0), 1),
        acknowledged_by=acknowledged_by,
        breach=status == "open" and age > sla.total_seconds(),
    )


RowOf = Callable[[Record, datetime, timedelta], out.AlertOut]


async def _open(
    store: Store, kind: RecordKind, row: RowOf, now: datetime, sla: timedelta
) -> list[out.AlertOut]:
    found: list[out.AlertOut] = []
    for status in OPEN_STATUSES:
        async for r in iter_records(store.records, RecordFilter(kind, status=status)):
            found.append(row(r, now, sla))
    return sorted(found, key=lambda a: a.age_s)


async def _campaign_echoes(store: Store, since: datetime, until: datetime) -> list[out.AlertOut]:
    """Trend alerts (a campaign's echo) raised in the span, newest first."""
    where = RecordFilter(RecordKind.ALERT, since=since, until=until)
    found = [_alert_row(r, until, timedelta.max) async for r in iter_records(store.records, where)]
    return [a for a in found if a.kind == "trend"]


async def now_view(store: Store, q: StatQuery, *, sla_minutes: float) -> out.NowOut:
    """Messages per minute by channel over the last hour, what is open, and the kill switch."""
    hour = await series(store, StatQuery("hour", q.until, q.tz, "channel", q.where))
    sla = timedelta(minutes=sla_minutes)
    alerts = [a for a in await _open(store, RecordKind.ALERT, _alert_row, q.until, sla) if a.kind != "trend"]
    incidents = await _open(store, RecordKind.INCIDENT, _incident_row, q.until, sla)
    queue_breaches, queue = 0, 0
    async for r in iter_records(store.records, RecordFilter(RecordKind.AGENT_QUEUE, status="open")):
        queue += 1
        queue_breaches += (q.until - r.created_at) > sla
    total = sum(b.total for b in hour.buckets)
    automatic = sum(b.automatic for b in hour.buckets)
    flag = await store.get_flag(KILL_SWITCH)
    return out.NowOut(
        at=q.until,
        volume=volume_out(hour),
        messages_last_hour=total,
        automatic_share=round(automatic / total, 3) if total else 0.0,
        alerts=alerts,
        incidents=incidents,
        kill_switch=out.KillSwitchOut(on=flag is not None, detail=flag),
        agent_queue=queue,
        sla_breaches=queue_breaches + sum(a.breach for a in alerts),
        sla_minutes=sla_minutes,
    )


async def quality(store: Store, q: StatQuery) -> out.QualityOut:
    s = await series(store, StatQuery(q.span, q.until, q.tz, "action", q.where))
    by_action: dict[str, int] = {}
    for b in s.buckets:
        for action, n in b.groups.items():
            by_action[action] = by_action.get(action, 0) + n
    decided = sum(by_action.values())
    automatic = by_action.get("answer", 0)
    starts = bucket_starts(q.span, q.until, q.tz)
    since, end = starts[0], span_end(q.span, starts, q.tz)
    drafts: dict[str, int] = {}
    edited = 0
    async for r in iter_records(store.records, RecordFilter(RecordKind.DRAFT, since=since, until=q.until)):
        status = str(r.data.get("status", "pending"))
        drafts[status] = drafts.get(status, 0) + 1
        edited += bool(r.data.get("edited"))
    return out.QualityOut(
        span=q.span, decided=decided, automatic=automatic,
        automatic_rate=round(automatic / decided, 3) if decided else 0.0,
        by_action=by_action, drafts=drafts, drafts_edited=edited,
        corrected=await corrections(store.records, since, end, q.where, automatic=automatic),
        case_times=await case_times(store.records, since, end, q.where),
    )  # fmt: skip


async def people(store: Store, q: StatQuery, *, limit: int = PEOPLE_LIMIT) -> out.PeopleOut:
    """Top authors by reach, repeat complainers and advocates (for the marketing team)."""
    starts = bucket_starts(q.span, q.until, q.tz)
    since, until = starts[0], span_end(q.span, starts, q.tz)
    helped = await helped_counts(store.records, since, until, channel=q.where.channel)
    found = [
        replace(a, helped=helped[(a.author, a.channel)])
        for a in await store.records.author_stats(since, until, channel=q.where.channel)
    ]
    top = sorted(found, key=lambda a: (-a.reach, -a.messages, a.author))
    complainers = sorted(
        (a for a in found if a.negative >= 2), key=lambda a: (-a.negative, -a.reach, a.author)
    )
    advocates = sorted(
        (a for a in found if (a.positive >= 2 and a.positive * 3 >= a.messages * 2) or a.helped >= 2),
        key=lambda a: (-(a.positive + a.helped), -a.reach, a.author),
    )
    return out.PeopleOut(
        span=q.span,
        top_authors=top[:limit],
        repeat_complainers=complainers[:limit],
        advocates=advocates[:limit],
    )
