"""The daily digest: the last 24 hours' numbers and a chart, posted to the war-room once a day.

Why through the outbox with the day as the key (`digest:2026-05-20`): the outbox queues an
idempotency key once whatever the number of replicas or restarts, and its publisher already
knows Slack's rate limits and what to do when an upload's outcome is unknown (a person
reviews it; it is never re-sent). The job wakes every minute; from the configured local time
on, the first tick of a day queues that day's digest, and a service started later that day
still sends it. Until the scheduler of its own issue lands, this is its own once-a-day loop.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import DashboardSettings
from bot.core.alerts import Alert
from bot.core.models import OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.periodic import run_every
from bot.store.base import Store
from bot.store.records import RecordFilter
from bot.store.scan import iter_records
from bot.store.stats import StatFilter
from bot.warroom.digest_chart import HourBar, render_png
from bot.warroom.state import SLACK_CHANNEL

log = logging.getLogger(__name__)
TICK_S = 60.0

DIGEST_TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Resumen diario de Centinela ({day}, últimas 24 h)",
        "chart": "Mensajes por hora y sentimiento",
        "body": "{total} mensajes · {automatic} respondidos automáticamente ({rate}) · "
        "{cases} casos · {agent} a agentes · {crisis} crisis · {alerts} alertas nuevas ({spikes} picos) · "
        "{negative} negativos",
        "negative": "negativo", "neutral": "neutro", "positive": "positivo",
    },
    "en": {
        "title": "Centinela daily digest ({day}, last 24 h)",
        "chart": "Messages per hour by sentiment",
        "body": "{total} messages · {automatic} answered automatically ({rate}) · {cases} cases · "
        "{agent} to agents · {crisis} crises · {alerts} new alerts ({spikes} spikes) · {negative} negative",
        "negative": "negative", "neutral": "neutral", "positive": "positive",
    },
    "pt": {
        "title": "Resumo diário do Centinela ({day}, últimas 24 h)",
        "chart": "Mensagens por hora e sentimento",
        "body": "{total} mensagens · {automatic} respondidas automaticamente ({rate}) · "
        "{cases} casos · {agent} para agentes · {crisis} crises · {alerts} novos alertas ({spikes} picos) · "
        "{negative} negativas",
        "negative": "negativo", "neutral": "neutro", "positive": "positivo",
    },
}  # fmt: skip


def parse_time(value: str) -> time:
    """`HH:MM` (24 h)."""
    hours, _, minutes = value.partition(":")
    return time(int(hours), int(minutes))


def digest_day(now: datetime, at: time, tz: ZoneInfo) -> date | None:
    """The local day whose digest is due at `now`, or None before the day's time."""
    local = now.astimezone(tz)
    return local.date() if local.time() >= at else None


@dataclass(frozen=True, slots=True)
class DigestFigures:
    bars: list[HourBar]
    by_action: dict[str, int]
    negative: int
    alerts: int
    spikes: int

    @property
    def total(self) -> int:
        return sum(self.by_action.values())


class DailyDigest:
    """Queues one digest per local day at the configured time (`CENTINELA_DASHBOARD__DIGEST_TIME`)."""

    def __init__(self, store: Store, settings: DashboardSettings, *, channel: str) -> None:
        if settings.digest_time is None:
            raise ValueError("the digest needs dashboard.digest_time")
        self._store = store
        self._settings = settings
        self._at = parse_time(settings.digest_time)
        self._tz = ZoneInfo(settings.timezone)
        self._channel = channel
        self._texts = DIGEST_TEXTS[settings.digest_language]

    async def figures(self, now: datetime) -> DigestFigures:
        last = now.replace(minute=0, second=0, microsecond=0)
        starts = [last - timedelta(hours=h) for h in range(23, -1, -1)]
        rows = await self._store.records.stat_counts(
            starts[0], last + timedelta(hours=1), step_minutes=60, group_by="action", where=StatFilter()
        )
        sentiment: dict[datetime, dict[str, int]] = {s: {} for s in starts}
        by_action: dict[str, int] = {}
        for row in rows:
            hour = sentiment.get(row.start)
            if hour is None:
                continue
            hour[row.sentiment] = hour.get(row.sentiment, 0) + row.count
            by_action[row.group] = by_action.get(row.group, 0) + row.count
        alerts = spikes = 0
        where = RecordFilter(RecordKind.ALERT, since=now - timedelta(days=1), until=now)
        async for record in iter_records(self._store.records, where):
            alerts += 1
            spikes += Alert.from_record(record).kind == "spike"
        negative = sum(h.get("negative", 0) for h in sentiment.values())
        bars = [HourBar(s, sentiment[s]) for s in starts]
        return DigestFigures(bars, by_action, negative, alerts, spikes)

    def text(self, day: date, f: DigestFigures) -> str:
        automatic = f.by_action.get("answer", 0)
        rate = f"{automatic / f.total:.0%}" if f.total else "0%"
        body = self._texts["body"].format(
            total=f.total, automatic=automatic, rate=rate, cases=f.by_action.get("case", 0),
            agent=f.by_action.get("agent", 0), crisis=f.by_action.get("crisis", 0), alerts=f.alerts,
            spikes=f.spikes, negative=f.negative,
        )  # fmt: skip
        return f"*{self._texts['title'].format(day=day.isoformat())}*\n{body}"

    async def tick(self, now: datetime) -> bool:
        """Queue the day's digest if it is due and not queued yet; True when queued now."""
        day = digest_day(now, self._at, self._tz)
        if day is None:
            return False
        key = f"digest:{day.isoformat()}"
        if await self._store.records.get_outbox(key) is not None:
            return False  # already queued (here, by another replica, or before a restart)
        figures = await self.figures(now)
        legend = {k: self._texts[k] for k in ("negative", "neutral", "positive")}
        png = await asyncio.to_thread(
            render_png, figures.bars, title=self._texts["chart"], tz=self._tz, legend=legend
        )
        item = OutboxItem(
            idempotency_key=key,
            account="employee",
            channel=SLACK_CHANNEL,
            text=self.text(day, figures),
            payload={
                "op": "upload",
                "channel": self._channel,
                "filename": f"centinela-{day.isoformat()}.png",
                "title": self._texts["title"].format(day=day.isoformat()),
                "content_b64": base64.b64encode(png).decode(),
            },
            created_at=now,
        )
        (added,) = await self._store.add_outbox([item])
        if added:
            log.info("daily digest for %s queued (%d messages)", day, figures.total)
        return added

    async def run(self, stop: asyncio.Event, *, clock: Callable[[], datetime] = utc_now) -> None:
        await run_every(TICK_S, lambda: self.tick(clock()), stop, name="daily digest")
