"""The one composition root: from the settings to the service's parts, built but not started.

`serve` (through `bot/web/app.py`), `replay`, `eval`, the benchmarks and the tests all build the
service here, so what a replay or a test runs is wired as production is: the store, the
adapters the settings enable (the Slack war-room client among them, from the registry), the
war-room, the metrics, the CRM's endpoints and sync, the SLA check, the scheduler's leader with
those timed jobs, the pipeline with every watcher, and the runtime over them. The web app only mounts
routes and runs these parts' lifetimes; nothing is patched together afterwards.

A replay or an evaluation hands in what differs on purpose: its own store namespace, a
recording instead of the platforms (`edge`), and the messages' own clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.base import Adapter
from adapters.crm.base import CrmConnector
from adapters.slack.adapter import SlackAdapter
from bot.config import Settings
from bot.core.models import Decision
from bot.engine.adapters import adapter_configs, build_adapters, by_channel
from bot.engine.kb_reload import ReloadableKb
from bot.engine.runtime import Extensions, Runtime, build_pipeline
from bot.pipeline.pipeline import Clock, Pipeline, wall_clock
from bot.store.base import Store
from bot.store.factory import build_store
from bot.warroom.wiring import WarRoom
from bot.web.crm_wiring import CrmWiring, build_crm
from bot.web.metrics import Metrics
from bot.web.secrets import accepted_secrets
from bot.web.sla_wiring import sla_job
from scheduler.service import scheduler_ctx

if TYPE_CHECKING:  # numpy stays unloaded in a service without the KB model
    from retrieval.knowledge_base import KnowledgeBase


@dataclass(slots=True)
class Service:
    """Every long-lived part of one running service; `runtime` exists once `start_runtime` ran."""

    settings: Settings
    store: Store
    extensions: Extensions
    edge: list[Adapter]
    clock: Clock
    # The accepted API tokens (the first is the current one); empty with a handed-in edge.
    api_tokens: list[str]
    warroom: WarRoom = field(init=False)
    # The counters and gauges `/metrics` serves; the SLA and CRM jobs count on the same registry.
    metrics: Metrics = field(init=False)
    # The configured CRM's endpoints, sync job and connector (None: cases stay local).
    crm: CrmWiring | None = field(init=False)
    # The scheduler leader's lifetime (a `cleanup_ctx` entry): campaigns, outages, escalation,
    # and the SLA and CRM jobs built here.
    scheduler: Callable[[web.Application], AsyncIterator[None]] = field(init=False)
    runtime: Runtime | None = None

    @property
    def kb(self) -> ReloadableKb | None:
        return self.extensions.kb

    def pipeline(self) -> Pipeline:
        """The decision pipeline with the extensions' and the war-room's watchers."""
        return build_pipeline(
            self.settings,
            self.store,
            clock=self.clock,
            extensions=self.extensions,
            watchers=self.warroom.watchers(),
        )

    def build_runtime(
        self,
        *,
        on_decision: Callable[[Decision], None] | None = None,
        customer_finder: CrmConnector | None = None,
    ) -> Runtime:
        """Workers and publisher over the store, each outbox item routed to its channel's adapter.

        `customer_finder` is the CRM's customer look-up self-identification asks (None: local only).
        """
        self.runtime = Runtime(
            self.settings,
            self.store,
            self.pipeline(),
            by_channel(self.edge),
            on_decision=on_decision,
            customer_finder=customer_finder,
        )
        return self.runtime

    def wake_publisher(self) -> None:
        """An approval queued a reply: publish it now rather than at the next poll."""
        if self.runtime is not None:
            self.runtime.publisher.wake.set()

    async def warm_up(self) -> KnowledgeBase | None:
        """Load the KB and train its classifier before traffic: the first customer must not wait."""
        if self.kb is None:
            return None
        loaded = (await self.kb.knowledge_base()).kb
        await self.kb.wait_until_trained()
        return loaded


def compose(
    settings: Settings,
    *,
    store: Store | None = None,
    extensions: Extensions | None = None,
    edge: Sequence[Adapter] | None = None,
    clock: Clock = wall_clock,
) -> Service:
    """The service the settings describe; `store`, `edge` and `clock` replace theirs when given."""
    tokens: list[str] = []
    if edge is None:
        tokens, webhook_secrets = accepted_secrets(settings)
        edge = build_adapters(adapter_configs(settings, webhook_secrets=webhook_secrets))
    service = Service(
        settings,
        store or build_store(settings),
        extensions or Extensions(),
        list(edge),
        clock,
        api_tokens=tokens,
    )
    slack = next((a for a in service.edge if isinstance(a, SlackAdapter)), None)
    service.warroom = WarRoom(settings, service.store, slack_adapter=slack, wake=service.wake_publisher)
    service.metrics = Metrics()
    registry = service.metrics.registry
    service.crm = build_crm(settings, service.store, registry)  # cases reach the CRM
    sla = sla_job(settings, service.store, registry, slack=service.warroom.slack_enabled)
    # Every timed job runs on the scheduler's leader (campaigns, outages, escalation, SLA, CRM sync).
    timed = [sla] if service.crm is None else [sla, service.crm.job]
    service.scheduler = scheduler_ctx(settings, service.store, service.wake_publisher, extra_jobs=timed)
    return service
