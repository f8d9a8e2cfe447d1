"""The SLA in the service: the periodic check, its war-room posts, its metrics and its report.

One call from `create_app` (`install_sla`): every `cases.sla.check_interval_s`, on one replica
at a time (a hot-path lease), open cases are checked and the p50/p90 figures refreshed for
`/metrics`; warnings and breaches go to the Slack war-room when it is on (and are alert
records either way). `GET /api/v1/sla` answers the same report for any period.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from bot.config import Settings
from bot.core.models import OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.periodic import run_every
from bot.engine.sla import Announce, SlaReport, SlaWatch
from bot.store.base import Store
from bot.warroom.state import SLACK_CHANNEL, new_state

LEASE = "sla_watch"
REPORT_DAYS = 30


class SlaMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "centinela_sla_alerts", "SLA warnings and breaches raised", ["sla", "level"], registry=registry
        )
        self.seconds = Gauge(
            "centinela_sla_seconds",
            f"Business seconds to first response / resolution over the last {REPORT_DAYS} days",
            ["measure", "quantile"],
            registry=registry,
        )

    def report(self, report: SlaReport) -> None:
        for measure, figures in (
            ("first_response", report.first_response_s),
            ("resolution", report.resolution_s),
        ):
            for name, value in figures.items():
                quantile = "0.5" if name == "p50" else "0.9"
                self.seconds.labels(measure=measure, quantile=quantile).set(
                    value if value is not None else float("nan")
                )


def warroom_announcer(store: Store) -> Announce:
    async def announce(alert_id: str, text: str, at: datetime) -> None:
        await store.put_record(
            RecordKind.WARROOM, alert_id, new_state(alert_id, "sla", at), only_if_absent=True
        )
        item = OutboxItem(
            idempotency_key=f"warroom:{alert_id}",
            account="employee",
            channel=SLACK_CHANNEL,
            text=text,
            payload={"op": "post", "alert_id": alert_id},
            created_at=at,
            next_attempt_at=at,
        )
        await store.add_outbox([item])

    return announce


def install_sla(
    app: web.Application, settings: Settings, store: Store, registry: CollectorRegistry, *, slack: bool
) -> None:
    metrics = SlaMetrics(registry)
    sla = settings.cases.sla
    watch = SlaWatch(
        store.records,
        sla,
        announce=warroom_announcer(store) if slack else None,
        on_alert=lambda kind, level: metrics.alerts.labels(sla=kind, level=level).inc(),
    )

    async def tick() -> None:
        if await store.acquire_lease(LEASE, settings.instance, ttl_s=max(60.0, sla.check_interval_s * 3)):
            await watch.run_once()
            metrics.report(await watch.report(since=utc_now() - timedelta(days=REPORT_DAYS)))

    async def loop(_app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_every(sla.check_interval_s, tick, stop, name="sla check"))
        yield
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(loop)
