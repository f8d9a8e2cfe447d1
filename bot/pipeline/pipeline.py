"""The decision pipeline: analysers → router (business rules) → the responder for the action.

The pipeline decides and describes; it never publishes. Its output, an `Outcome`, is applied by
`bot.engine.effects` with idempotency keys, which is what makes redelivery safe. New capabilities plug
in as analysers (what we know), responders (what to do for an action) or watchers (checks that
run on every message, such as spike detection) without touching this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.core.context import MessageContext
from bot.core.effects import Effect
from bot.core.models import Action, Decision, InboundMessage, utc_now
from bot.pipeline.analysers import Analyser, Prefetcher
from bot.pipeline.journal import Journaled
from bot.pipeline.reply_policy import explicit_effects
from bot.pipeline.rules import RuleSet
from responders.base import Responder


class Watcher(Protocol):
    """Runs on every message after the decision, whatever the action (spikes, trends)."""

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]: ...


@dataclass(slots=True)
class Outcome:
    """A decision and the effects it calls for, not yet applied."""

    ctx: MessageContext
    decision: Decision
    effects: list[Effect] = field(default_factory=list)


Clock = Callable[[InboundMessage], datetime]


def wall_clock(_message: InboundMessage) -> datetime:
    """The live service decides on the wall clock."""
    return utc_now()


def event_clock(message: InboundMessage) -> datetime:
    """Replays decide on the message's own time, so a replay at any speed decides the same."""
    return message.created_at


class Pipeline:
    """normalise → author → language and signals → (KB, topics) → router → responder."""

    def __init__(
        self,
        *,
        analysers: Sequence[Analyser],
        rules: RuleSet,
        responders: Mapping[Action, Responder],
        watchers: Sequence[Watcher] = (),
        clock: Clock = wall_clock,
    ) -> None:
        missing = {"answer", "case", "crisis", "agent", "monitor"} - set(responders)
        if missing:
            raise ValueError(f"no responder for actions {sorted(missing)}")
        self._analysers = list(analysers)
        self._prefetchers: list[Prefetcher] = [a for a in analysers if isinstance(a, Prefetcher)]
        self.rules = rules
        self._responders = dict(responders)
        self._watchers = list(watchers)
        self._clock = clock

    def journaled(self) -> list[Journaled]:
        """The steps whose state depends on the decision order (they take turns across workers)."""
        return [step for step in (*self._analysers, *self._watchers) if isinstance(step, Journaled)]

    async def start(self) -> None:
        """Bring up what analysers run beside the pipeline (helper processes)."""
        for analyser in self._prefetchers:
            await analyser.start()

    async def close(self) -> None:
        for analyser in self._prefetchers:
            await analyser.close()

    def prefetch(self, messages: Sequence[InboundMessage]) -> None:
        """A batch was claimed: analysers that can work ahead (in other processes) start now."""
        for analyser in self._prefetchers:
            analyser.prefetch(messages)

    async def analyse(self, message: InboundMessage) -> MessageContext:
        ctx = MessageContext(message=message, now=self._clock(message))
        for analyser in self._analysers:
            await analyser.analyse(ctx)
        return ctx

    def route(self, ctx: MessageContext, started: float) -> Decision:
        action, rule, reason = self.rules.decide(ctx)
        answer = ctx.kb_answer if action == "answer" else None
        return Decision(
            message_key=ctx.message.key,
            action=action,
            reason=reason,
            rule=rule,
            confidence=ctx.kb_confidence or 0.0,
            article=answer.article_id if answer else None,
            language=ctx.language,
            sentiment=ctx.sentiment,
            intents=sorted(ctx.intents),
            risks=sorted(ctx.risks),
            candidates=ctx.kb_candidates[:3],
            latency_ms=(time.perf_counter() - started) * 1000,
            topic=_key_part(ctx.topic_keys, "topic") or (answer.topic if answer else ""),
            region=_key_part(ctx.topic_keys, "region"),
            author=ctx.message.author.handle,
            reach=ctx.message.author.followers or 0,
            message_at=ctx.message.created_at,
        )

    async def process(self, message: InboundMessage) -> Outcome:
        started = time.perf_counter()
        ctx = await self.analyse(message)
        decision = self.route(ctx, started)
        effects = await self._responders[decision.action].respond(ctx, decision)
        for watcher in self._watchers:
            effects.extend(await watcher.watch(ctx, decision))
        effects = explicit_effects(ctx, decision, effects)
        decision.latency_ms = (time.perf_counter() - started) * 1000
        return Outcome(ctx=ctx, decision=decision, effects=effects)


def _key_part(keys: Sequence[str], kind: str) -> str:
    """The first plain `kind:value` topic key (`topic:no-internet` → `no-internet`)."""
    prefix = f"{kind}:"
    return next((k[len(prefix) :] for k in keys if k.startswith(prefix) and "|" not in k), "")
