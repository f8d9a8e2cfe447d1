"""The SLA in the service: the periodic check, its war-room posts, its metrics and its report.

The composition root (`bot/compose.py`) hands `sla_job` to the scheduler's leader: every
`cases.sla.check_interval_s`, on the leader only (one replica at a time, like every timed job),
open cases are checked and the p50/p90 figures refreshed for `/metrics`; warnings and breaches
go to the Slack war-room when it is on (and are alert records either way). `GET /api/v1/sla`
answers the same report for any period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge

from bot.config import Settings
from bot.core.models import OutboxItem, utc_now
from bot.core.records import RecordKind
from bot.engine.sla import Announce, SlaReport, SlaWatch
from bot.store.base import Store
from bot.warroom.state import SLACK_CHANNEL, new_state
from scheduler.timed_jobs import TimedJob

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


def sla_job(settings: Settings, store: Store, registry: CollectorRegistry, *, slack: bool) -> TimedJob:
    metrics = SlaMetrics(registry)
    sla = settings.cases.sla
    watch = SlaWatch(
        store.records,
        sla,
        announce=warroom_announcer(store) if slack else None,
        on_alert=lambda kind, level: metrics.alerts.labels(sla=kind, level=level).inc(),
    )

    async def tick() -> None:
        await watch.run_once()
        metrics.report(await watch.report(since=utc_now() - timedelta(days=REPORT_DAYS)))

    return TimedJob("sla-check", sla.check_interval_s, tick)
