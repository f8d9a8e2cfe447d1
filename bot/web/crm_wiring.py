"""The CRM in the service: the configured connector, its sync loop and its inbound endpoint.

Built by the composition root (`build_crm`, called in `bot/compose.py`) and mounted by
`create_app` (`CrmWiring.mount`). Without `cases.http` or `cases.zendesk` nothing is mounted and
new cases stay local (no sync record: nothing waits for a CRM). With one, the scheduler's
leader syncs pending cases every `crm_sync_interval_s` (one replica at a time, like every timed
job), and the CRM's status changes come in on `/webhooks/crm` or
`/webhooks/zendesk`. `centinela_crm_sync_total{state}` counts the outcomes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter

from adapters.crm.base import CrmConnector
from adapters.crm.http_connector import HttpCrm
from adapters.zendesk.client import ZendeskCrm
from bot.config import Settings
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.crm_erasure import CrmErasures
from bot.engine.crm_sync import CrmSync, CrmSyncSettings
from bot.store.base import Store
from bot.web.crm_routes import generic_check, status_receiver, zendesk_check
from bot.web.errors import Handler
from scheduler.timed_jobs import TimedJob

log = logging.getLogger(__name__)


def build_connector(settings: Settings) -> CrmConnector | None:
    cases = settings.cases
    if cases.zendesk is not None:
        return ZendeskCrm(cases.zendesk)
    if cases.http is not None:
        return HttpCrm(cases.http)
    return None


def sync_counter(registry: CollectorRegistry) -> Counter:
    return Counter(
        "centinela_crm_sync",
        "CRM sync outcomes per case pass (synced, retry, failed)",
        ["state"],
        registry=registry,
    )


@dataclass(slots=True)
class CrmWiring:
    """The CRM's parts, built by the composition root: its inbound endpoints, its sync as a
    timed job for the leader, and the connector the application closes when it stops."""

    connector: CrmConnector
    job: TimedJob
    routes: list[tuple[str, Handler]] = field(default_factory=list)

    def mount(self, app: web.Application) -> None:
        """Add the CRM's status endpoints and close its connector with the application."""
        for path, handler in self.routes:
            app.router.add_post(path, handler)
        connector, interval = self.connector, self.job.interval_s

        async def closing(_app: web.Application) -> AsyncIterator[None]:
            log.info("CRM sync on: %s, every %.0f s (on the scheduler's leader)", connector.name, interval)
            yield
            await connector.close()

        app.cleanup_ctx.append(closing)


def build_crm(settings: Settings, store: Store, registry: CollectorRegistry) -> CrmWiring | None:
    """The CRM's endpoints and sync job, or None when no CRM is configured (cases stay local)."""
    counter = sync_counter(registry)
    connector = build_connector(settings)
    if connector is None:
        return None
    lifecycle = CaseLifecycle(store.records)
    cases = settings.cases
    routes: list[tuple[str, Handler]] = []
    if cases.zendesk is not None and cases.zendesk.webhook_secret is not None:
        check = zendesk_check(cases.zendesk.webhook_secret.get_secret_value())
        routes.append(("/webhooks/zendesk", status_receiver(lifecycle, "zendesk", check)))
    if cases.http is not None:
        check = generic_check(cases.http.secret.get_secret_value())
        routes.append(("/webhooks/crm", status_receiver(lifecycle, "http", check)))
    sync = CrmSync(
        store.records,
        connector,
        settings=CrmSyncSettings(max_attempts=cases.crm_max_attempts, backoff_s=cases.crm_backoff_s),
        counted=lambda state: counter.labels(state=state).inc(),
    )
    erasures = CrmErasures(store.records, connector, max_attempts=cases.crm_max_attempts)

    async def sync_and_erase() -> None:
        await sync.run_once()
        await erasures.run_once()  # erased customers' requesters, queued by the erasure

    return CrmWiring(connector, TimedJob("crm-sync", cases.crm_sync_interval_s, sync_and_erase), routes)
