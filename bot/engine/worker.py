"""Workers: claim → decide → apply effects → save decisions → ack, at least once.

A message is acked only after its decision and effects are written; a crash anywhere before
that leaves the claim unacked, and the store redelivers it after the visibility timeout. Since
effects are idempotent, the redelivery produces nothing twice. A message that raises is handed
back with `fail` and ends in the dead letters after too many attempts, never dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bot.core.models import Claim, Decision
from bot.engine.batch_writes import BatchWrites
from bot.engine.decision_order import DecisionOrder
from bot.engine.effects import EffectApplier
from bot.pipeline.pipeline import Pipeline
from bot.store.base import Store

log = logging.getLogger(__name__)

DecisionHook = Callable[[Decision], None]


class Worker:
    """One consumer of the intake queue."""

    def __init__(
        self,
        name: str,
        store: Store,
        pipeline: Pipeline,
        applier: EffectApplier,
        *,
        batch_size: int = 64,
        concurrency: int = 4,
        on_decision: DecisionHook | None = None,
        on_effects: Callable[[], None] | None = None,
        order: DecisionOrder | None = None,
    ) -> None:
        self.name = name
        self._store = store
        self._pipeline = pipeline
        self._applier = applier
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._on_decision = on_decision
        self._on_effects = on_effects
        self._order = order
        self._tickets: dict[str, int] = {}  # first delivery id of a claimed batch -> its turn

    async def run_once(self) -> int:
        """Process one batch; returns how many messages were claimed."""
        claims = await self._claim(self.name)
        await self._ack(await self._handle(claims))
        return len(claims)

    async def _claim(self, consumer: str, after: asyncio.Task[None] | None = None) -> list[Claim]:
        """The next batch for `consumer`, once `after` (the ack of the batch before) is done: a
        claim returns the consumer's own unacked entries first, and must not get those again."""
        if after is not None:
            await after  # `_ack` never raises
        if self._order is None:
            claims = await self._store.claim(consumer, self._batch_size)
        else:  # numbered in the claim's critical section: turns follow the queue's order
            claims, ticket = await self._order.ticketed(lambda: self._store.claim(consumer, self._batch_size))
            if ticket is not None:
                self._tickets[claims[0].delivery_id] = ticket
        if claims:
            messages = [claim.message for claim in claims]
            self._pipeline.prefetch(messages)
            self._applier.prefetch(messages)
        return claims

    async def _handle(self, claims: list[Claim]) -> list[Claim]:
        """Decide, apply and store the batch; returns the claims to ack (stored, not failed)."""
        if not claims:
            return []
        # The batch is processed concurrently: store round trips of one message's effects
        # overlap with the decision of the next, which keeps one worker near the store's speed.
        # A few lanes take the next message in order (cheaper than a task per message). The
        # decisions themselves are made one after another, in the batch's order: spike counts
        # and the crisis thread watcher keep state, and a reply decided before its crisis would
        # not be linked to it. (Texts were read ahead, so a decision is short.)
        results: list[Decision | None] = [None] * len(claims)
        decided = [asyncio.Event() for _ in claims]
        upcoming = iter(range(len(claims)))
        writes = BatchWrites()  # the write-only effects, stored together before the ack

        async def lane() -> None:
            for index in upcoming:
                after = decided[index - 1] if index else None
                results[index] = await self._process(claims[index], after, decided[index], writes)

        ticket = self._tickets.pop(claims[0].delivery_id, None)
        if self._order is not None and ticket is not None:
            await self._enter(self._order, ticket)
            # The turn passes on once the last decision is made; effects still overlap.
            turn = asyncio.create_task(self._leave(self._order, ticket, decided[-1]))
            await asyncio.gather(turn, *(lane() for _ in range(min(self._concurrency, len(claims)))))
        else:
            await asyncio.gather(*(lane() for _ in range(min(self._concurrency, len(claims)))))
        decisions = [decision for decision in results if decision is not None]
        if not await self._save_together(writes, decisions):
            failed = await writes.flush(self._store)
            for index, claim in enumerate(claims):
                if claim.message.key in failed and results[index] is not None:
                    results[index] = None
                    await self._hand_back(claim, "its effects could not be stored")
            decisions = [decision for decision in results if decision is not None]
            if decisions:
                await self._store.save_decisions(decisions)
        done = [claim for claim, decision in zip(claims, results, strict=True) if decision is not None]
        if decisions:
            for decision in decisions:
                if self._on_decision is not None:
                    self._on_decision(decision)
            if self._on_effects is not None:
                self._on_effects()
        return done

    async def _ack(self, done: list[Claim]) -> None:
        """Ack the stored batch; a failed ack only means the batch comes back (redelivered after
        the visibility timeout, or to this consumer's next claim) and its effects are idempotent."""
        if not done:
            return
        try:
            await self._store.ack(done)
        except Exception:
            log.exception(
                "worker %s could not ack %d messages; they will be redelivered", self.name, len(done)
            )

    async def _save_together(self, writes: BatchWrites, decisions: list[Decision]) -> bool:
        """The batch's decisions and its write-only effects in one store call; False when that
        is not for this batch (audit events among the effects) or failed, and the effects are
        then written first, one message at a time if need be, so a message whose effects cannot
        be stored fails alone."""
        records = writes.records_alone()
        if records is None or not decisions:
            return False
        try:
            await self._store.save_decisions(decisions, records)
        except Exception:
            log.exception("storing a batch's decisions with its effects failed; storing the effects first")
            return False
        writes.clear()
        return True

    @staticmethod
    async def _enter(order: DecisionOrder, ticket: int) -> None:
        try:
            await order.enter(ticket)
        except BaseException:  # the batch comes back after the visibility timeout, with a new turn
            with contextlib.suppress(Exception):
                await order.void(ticket)
            raise

    @staticmethod
    async def _leave(order: DecisionOrder, ticket: int, last: asyncio.Event) -> None:
        await last.wait()
        await order.leave(ticket)

    async def _process(
        self,
        claim: Claim,
        after: asyncio.Event | None = None,
        decided: asyncio.Event | None = None,
        writes: BatchWrites | None = None,
    ) -> Decision | None:
        """The message's final decision, or None when it failed (handed back to the store).

        Its decision waits for `after` (the previous message's) and sets `decided`; applying
        the effects overlaps with the next messages.
        """
        try:
            try:
                if after is not None:
                    await after.wait()
                outcome = await self._pipeline.process(claim.message)
            finally:
                if decided is not None:
                    decided.set()
            return await self._applier.apply(outcome, writes)
        except Exception as exc:
            log.exception("message %s failed (attempt %d)", claim.message.key, claim.attempts)
            if writes is not None:
                writes.drop(claim.message.key)
            await self._hand_back(claim, f"{type(exc).__name__}: {exc}")
            return None

    async def _hand_back(self, claim: Claim, error: str) -> None:
        if await self._store.fail(claim, error):
            log.error("message %s moved to dead letters", claim.message.key)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, idle_s: float = 0.2) -> None:
        """Work until `stop`; the batch in hand is finished before returning (graceful shutdown).

        The next batch is claimed, and handed to the analysers that work ahead, while this one
        is processed: the reading helpers then never wait for this worker's store round trips.
        It is claimed under a second consumer name because a claim returns the consumer's own
        unacked entries first (that is how a restarted worker drains them), and the batch in
        hand is still unacked. A batch claimed ahead when stopping is released, not lost.
        """
        names = (self.name, f"{self.name}+")
        turn = 0
        ahead: asyncio.Task[list[Claim]] | None = None
        # The ack of the batch just stored runs while the next batch is decided (nothing waits
        # for it but the next claim under the same consumer name, which follows it).
        acking: asyncio.Task[None] | None = None
        try:
            while not stop.is_set():
                # Cleared before claiming: a message enqueued after an empty claim still wakes us.
                wake.clear()
                try:
                    task, ahead = ahead, None
                    claims = await task if task is not None else []
                    if not claims:  # an empty claim made ahead may predate the latest messages
                        claims = await self._claim(names[turn % 2], acking)
                    turn += 1
                    if claims:
                        ahead = asyncio.create_task(self._claim(names[turn % 2], acking))
                    done = await self._handle(claims)
                    if done:
                        acking = asyncio.create_task(self._ack(done))
                    claimed = len(claims)
                except Exception:
                    log.exception("worker %s pass failed; retrying", self.name)
                    claimed = 0
                if claimed == 0 and not wake.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), timeout=idle_s)
        finally:
            if acking is not None:
                await acking
            if ahead is not None:
                await self._release(ahead)

    async def _release(self, ahead: asyncio.Task[list[Claim]]) -> None:
        try:
            claims = await ahead
            if claims:
                ticket = self._tickets.pop(claims[0].delivery_id, None)
                if self._order is not None and ticket is not None:
                    await self._order.void(ticket)
                await self._store.release(claims)
        except Exception:  # unacked claims come back after the visibility timeout anyway
            log.exception("worker %s could not release the batch claimed ahead", self.name)
