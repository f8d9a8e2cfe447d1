"""The running engine: store, pipeline, workers and publisher, started and stopped together.

Both the HTTP service and `replay` use it, so a replay exercises exactly the service path
(durable queue → pipeline → responders → outbox → adapter), only with a recording adapter and,
optionally, the messages' own clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.base import Adapter, AdapterContext
from adapters.crm.base import CrmConnector
from bot.config import Settings, replica_name
from bot.core.models import Action, Decision, InboundMessage
from bot.engine.adapters import StoreCursors
from bot.engine.cases import CaseBook
from bot.engine.decision_order import DecisionOrder, LocalTurns, Turns
from bot.engine.effects import EffectApplier
from bot.engine.kb_reload import ReloadableKb
from bot.engine.lookup_backfill import index_lookup_keys
from bot.engine.outbox import Publisher
from bot.engine.self_id import SelfIdentification
from bot.engine.worker import Worker
from bot.pipeline.accounts import AccountDirectory
from bot.pipeline.analysers import Analyser, AuthorAnalyser, TextAnalyser
from bot.pipeline.community_replies import CommunityReplyWatcher
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Clock, Pipeline, Watcher, wall_clock
from bot.pipeline.rules import load_rules
from bot.pipeline.self_id import SelfIdAnalyser, SelfIdWatcher
from bot.reading.ahead import ReadsAhead
from bot.reading.chunks import ChunkEmbedder
from bot.reading.inline_batch import InlineBatches
from bot.reading.on_demand import OnDemandReader
from bot.reading.pool import ReadingPool
from bot.reading.text_reading import ReadsText, TextReader
from bot.store.base import Store
from responders.agent import AgentResponder
from responders.base import Responder
from responders.case import CaseResponder
from responders.crisis import CrisisResponder
from responders.kb_answer import KbAnswerResponder
from responders.monitor import MonitorResponder
from scheduler.contacts import ContactWatcher
from scheduler.opt_out import OptOutWatcher
from scheduler.outage_match import DeclaredOutageAnalyser, OutageComplainerWatcher

log = logging.getLogger(__name__)

__all__ = ["Extensions", "Runtime", "build_pipeline", "replica_name"]


@dataclass(slots=True)
class Extensions:
    """Optional parts that plug into the pipeline (KB retrieval, spike detection, war-room)."""

    analysers: list[Analyser] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)
    responders: dict[Action, Responder] = field(default_factory=dict)
    brands: list[str] = field(default_factory=list)
    # The KB step's query embedder: the reading helpers embed each claimed batch with it.
    embedder: ChunkEmbedder | None = None
    # The KB analyser among `analysers`, named so start-up and reloads reach it without a search.
    kb: ReloadableKb | None = None


def build_pipeline(
    settings: Settings,
    store: Store,
    *,
    clock: Clock = wall_clock,
    extensions: Extensions | None = None,
    watchers: Sequence[Watcher] = (),
) -> Pipeline:
    """The decision pipeline as configured; a bad rules file raises `RulesError` here, at start-up.

    `watchers` are the war-room's (the composition root hands them over), run after the
    extensions' own.
    """
    ext = extensions or Extensions()
    directory = AccountDirectory(
        settings.own_accounts,
        settings.bot_accounts,
        influencer_followers=settings.influencer_followers,
        brands=ext.brands,
    )
    reader, pool = _text_reading(settings, ext.embedder)
    rules = load_rules(settings.rules_file)
    responders: dict[Action, Responder] = {
        "answer": KbAnswerResponder(),
        "case": CaseResponder(local_rules=rules.local_rules()),
        "crisis": CrisisResponder(),
        "agent": AgentResponder(),
        "monitor": MonitorResponder(),
    }
    responders.update(ext.responders)
    outages = DeclaredOutageAnalyser(store)  # declared outages and opt-outs (scheduler/)
    self_id: list[SelfIdAnalyser] = []
    if settings.self_id.enabled:  # customers confirming who they are by private message
        self_id.append(SelfIdAnalyser(store.records, settings.self_id.contract()))
    return Pipeline(
        analysers=[
            TextAnalyser(reader, pool),
            AuthorAnalyser(directory, store),
            *self_id,
            *ext.analysers,
            outages,
        ],
        rules=rules,
        responders=responders,
        watchers=[
            *ext.watchers,
            *watchers,
            OutageComplainerWatcher(outages),
            OptOutWatcher(),
            ContactWatcher(),
            CommunityReplyWatcher(store.get_message),  # advocates who help others (People view)
            *([SelfIdWatcher()] if self_id else []),
        ],
        clock=clock,
    )


def _text_reading(settings: Settings, embedder: ChunkEmbedder | None) -> tuple[ReadsText, ReadsAhead | None]:
    """The worker's text reader and its reading helpers, if any.

    With helpers that embed too (the KB on, an embedder they can rebuild), the models live in
    the helpers only: the worker waits for their readings and builds its own reader only if
    one is ever missing (`OnDemandReader`). Otherwise the worker reads ahead too (no-model
    reading is cheap, and the worker's copy of the language models already exists). With the
    KB on and no helper, a thread of the worker reads and embeds each claimed batch in one call
    (`InlineBatches`) rather than the KB step embedding one message at a time.
    """
    languages, default = settings.languages, settings.default_language
    if settings.reading_processes < 1:
        reader = TextReader.for_languages(languages, default)
        return reader, InlineBatches(reader, embedder) if embedder is not None else None
    if embedder is not None and embedder.spec is not None:
        pool = ReadingPool(settings.reading_processes, languages, default, embedder=embedder)
        return OnDemandReader(languages, default), pool
    reader = TextReader.for_languages(languages, default)
    helpers = ReadingPool(settings.reading_processes, languages, default, reader=reader, embedder=embedder)
    return reader, helpers


# A turn not ended after this is skipped: its worker died (a batch's decisions take well under a
# second even with the model on a loaded machine). Everyone waits that long once per crash; a
# worker merely that slow has its batch decided out of order, with a warning, never lost.
TURN_STALL_S = 10.0


def decision_turns(settings: Settings, store: Store) -> Turns:
    """Turns among the replicas on a shared Redis, else among this process's workers."""
    hot = store.hot
    # Only a loaded `bot.store.redis` makes Redis stores (the factory imports it when Redis is
    # configured): without it the hot path is not Redis, and redis-py stays unloaded.
    redis_store = sys.modules.get("bot.store.redis")
    if redis_store is not None and isinstance(hot, redis_store.RedisStore):
        from bot.engine.redis_turns import RedisTurns

        return RedisTurns(hot.url, hot.namespace, settings.instance, stall_s=TURN_STALL_S)
    return LocalTurns(stall_s=TURN_STALL_S)


class Runtime:
    """Workers and publisher over one store; `start()` then `stop()` (graceful)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        pipeline: Pipeline,
        adapters: Mapping[str, Adapter],
        *,
        on_decision: Callable[[Decision], None] | None = None,
        customer_finder: CrmConnector | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.pipeline = pipeline
        self.adapters = dict(adapters)
        self.publisher = Publisher(
            store,
            self.adapters,
            max_attempts=settings.publisher_max_attempts,
            send_lease=timedelta(seconds=settings.publisher_lease_s),
        )
        crm = settings.cases.zendesk is not None or settings.cases.http is not None
        reopen = timedelta(days=settings.cases.reopen_days)
        cases = CaseBook(store.records, reopen_window=reopen, crm=crm)
        self_id = SelfIdentification(
            store, settings.self_id, can_mail="email" in self.adapters, crm=customer_finder
        )
        applier = EffectApplier(store, ReplyGuard(store, settings.guards), cases, self_id)
        replica = settings.instance
        steps = pipeline.journaled()
        self.order = DecisionOrder(decision_turns(settings, store), steps) if steps else None
        self.workers = [
            Worker(
                f"{replica}-worker-{i}",
                store,
                pipeline,
                applier,
                batch_size=settings.batch_size,
                on_decision=on_decision,
                on_effects=self.publisher.wake.set,
                order=self.order,
            )
            for i in range(settings.workers)
        ]
        self.work_available = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._backfill: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.order is not None:
            await self.order.turns.open()
        await self.pipeline.start()
        # What start-up built (lexicons, rules, models, indexes) lives as long as the process:
        # frozen, the garbage collector never scans it again, which keeps its pauses out of
        # the decision latency tail.
        gc.collect()
        gc.freeze()
        for adapter in self._unique_adapters():
            await adapter.start(
                AdapterContext(sink=self.ingest, cursors=StoreCursors(self.store, adapter.name))
            )
        self._tasks = [
            asyncio.create_task(w.run(self._stop, self.work_available), name=w.name) for w in self.workers
        ]
        self._tasks.append(asyncio.create_task(self.publisher.run(self._stop), name="publisher"))
        # Customers an earlier release wrote get their look-up keys; idempotent on every replica.
        self._backfill = asyncio.create_task(self._index_lookup_keys(), name="lookup-keys")

    async def _index_lookup_keys(self) -> None:
        try:
            await index_lookup_keys(self.store.records)
        except Exception:  # the next start-up tries again; serving must not wait on it
            log.exception("customer look-up key backfill failed")

    def _unique_adapters(self) -> list[Adapter]:
        """One adapter may deliver several channels; start and close it once."""
        return list({id(a): a for a in self.adapters.values()}.values())

    async def ingest(self, messages: Sequence[InboundMessage]) -> list[bool]:
        """Durably enqueue, then wake the workers. Returns which messages were new."""
        fresh = await self.store.enqueue(messages)
        if any(fresh):
            self.work_available.set()
        return fresh

    async def stop(self) -> None:
        """Finish the batches in hand, stop publishing, close adapters; nothing is lost."""
        self._stop.set()
        self.work_available.set()
        if self._backfill is not None:  # idempotent: an interrupted backfill resumes next start
            self._backfill.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for adapter in self._unique_adapters():
            await adapter.close()
        await self.pipeline.close()
        if self.order is not None:
            await self.order.turns.close()
