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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from adapters.base import Adapter
from adapters.recording import RecordingAdapter, RecordingConfig
from bot.accounts import AccountDirectory
from bot.analysers import Analyser, AuthorAnalyser, TextAnalyser
from bot.config import Settings
from bot.effects import EffectApplier
from bot.guards import ReplyGuard
from bot.models import Action, Decision, InboundMessage
from bot.outbox import Publisher
from bot.pipeline import Clock, Pipeline, Watcher, wall_clock
from bot.reading_pool import ReadingPool
from bot.rules import load_rules
from bot.store.base import Store
from bot.text_reading import TextReader
from bot.worker import Worker
from responders.agent import AgentResponder
from responders.base import Responder
from responders.case import CaseResponder
from responders.crisis import CrisisResponder
from responders.kb_answer import KbAnswerResponder
from responders.monitor import MonitorResponder

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Extensions:
    """Optional parts that plug into the pipeline (KB retrieval, spike detection, war-room)."""

    analysers: list[Analyser] = field(default_factory=list)
    watchers: list[Watcher] = field(default_factory=list)
    responders: dict[Action, Responder] = field(default_factory=dict)
    brands: list[str] = field(default_factory=list)


def build_pipeline(
    settings: Settings, store: Store, *, clock: Clock = wall_clock, extensions: Extensions | None = None
) -> Pipeline:
    """The decision pipeline as configured; a bad rules file raises `RulesError` here, at start-up."""
    ext = extensions or Extensions()
    directory = AccountDirectory(
        settings.own_accounts,
        settings.bot_accounts,
        influencer_followers=settings.influencer_followers,
        brands=ext.brands,
    )
    reader = TextReader.for_languages(settings.languages, settings.default_language)
    pool = (
        ReadingPool(settings.reading_processes, settings.languages, settings.default_language, reader=reader)
        if settings.reading_processes > 0
        else None
    )
    responders: dict[Action, Responder] = {
        "answer": KbAnswerResponder(),
        "case": CaseResponder(),
        "crisis": CrisisResponder(),
        "agent": AgentResponder(),
        "monitor": MonitorResponder(),
    }
    responders.update(ext.responders)
    return Pipeline(
        analysers=[TextAnalyser(reader, pool), AuthorAnalyser(directory, store), *ext.analysers],
        rules=load_rules(settings.rules_file),
        responders=responders,
        watchers=ext.watchers,
        clock=clock,
    )


def default_adapters(settings: Settings) -> dict[str, Adapter]:
    """Without platform credentials every channel publishes to the recording file."""
    return {"*": RecordingAdapter(RecordingConfig(path=settings.recording_file))}


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
    ) -> None:
        self.settings = settings
        self.store = store
        self.pipeline = pipeline
        self.adapters = dict(adapters)
        self.publisher = Publisher(store, self.adapters, max_attempts=settings.publisher_max_attempts)
        applier = EffectApplier(store, ReplyGuard(store, settings.guards))
        self.workers = [
            Worker(
                f"{settings.instance}:worker-{i}",
                store,
                pipeline,
                applier,
                batch_size=settings.batch_size,
                on_decision=on_decision,
                on_effects=self.publisher.wake.set,
            )
            for i in range(settings.workers)
        ]
        self.work_available = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.pipeline.start()
        # What start-up built (lexicons, rules, models, indexes) lives as long as the process:
        # frozen, the garbage collector never scans it again, which keeps its pauses out of
        # the decision latency tail.
        gc.collect()
        gc.freeze()
        for adapter in self.adapters.values():
            await adapter.start(self.ingest)
        self._tasks = [
            asyncio.create_task(w.run(self._stop, self.work_available), name=w.name) for w in self.workers
        ]
        self._tasks.append(asyncio.create_task(self.publisher.run(self._stop), name="publisher"))

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
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for adapter in self.adapters.values():
            await adapter.close()
        await self.pipeline.close()
