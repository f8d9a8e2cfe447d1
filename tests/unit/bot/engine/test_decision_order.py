"""Decision turns: batches are decided in the queue's order across workers and replicas, and
journaled facts reach every other process in that order."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from pathlib import Path

from bot.core.context import MessageContext
from bot.core.effects import Effect
from bot.core.models import Claim, Decision, utc_now
from bot.engine.decision_order import DecisionOrder, LocalTurns
from bot.engine.effects import EffectApplier
from bot.engine.redis_turns import RedisTurns
from bot.engine.runtime import Extensions, build_pipeline, decision_turns
from bot.engine.worker import Worker
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.journal import Fact
from bot.store.base import Store, StoreSettings
from bot.store.redis import RedisStore
from tests.conftest import (
    TEST_REDIS_URL,
    eventually,
    make_message,
    open_store,
    redis_reachable,
    settings_for,
)


class _Jitter:
    """Takes a different time per message, as store look-ups do: batches finish out of order."""

    async def analyse(self, ctx: MessageContext) -> None:
        await asyncio.sleep(random.random() / 100)


class _Ordered:
    """A journaled step (like spike counts): records the order it saw messages in."""

    journal_name = "ordered"

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._facts: list[Fact] = []

    def take_facts(self) -> list[Fact]:
        facts, self._facts = self._facts, []
        return facts

    def apply_facts(self, facts: Sequence[Fact]) -> None:
        self.keys.extend(key for (key,) in facts)

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        self.keys.append(ctx.message.key)
        self._facts.append([ctx.message.key])
        return []


async def test_two_workers_decide_a_burst_in_queue_order(store_kind: str, tmp_path: Path) -> None:
    """Without turns the second worker's batch was often decided before the first one's."""
    # A batch waits for its turn while holding its claim: the timeout must outlast that wait.
    store = await open_store(store_kind, tmp_path, StoreSettings(visibility_timeout_s=30))
    try:
        await _decide_a_burst_with_two_workers(store, tmp_path)
    finally:
        await store.clear()
        await store.close()


async def _decide_a_burst_with_two_workers(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    step = _Ordered()
    pipeline = build_pipeline(settings, store, extensions=Extensions(analysers=[_Jitter()], watchers=[step]))
    order = DecisionOrder(decision_turns(settings, store), pipeline.journaled())
    await order.turns.open()
    applier = EffectApplier(store, ReplyGuard(store, settings.guards))
    workers = [Worker(f"w{i}", store, pipeline, applier, batch_size=5, order=order) for i in range(2)]
    messages = [make_message(f"q{i:03d}", "hola, una pregunta", created_at=utc_now()) for i in range(60)]
    await store.enqueue(messages)
    stop, wake = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop, wake)) for w in workers]
    try:

        async def all_seen() -> bool:
            return len(step.keys) == len(messages)

        await eventually(all_seen, timeout=30)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await order.turns.close()
    assert step.keys == [m.key for m in messages]


def _claims(*keys: str) -> list[Claim]:
    return [Claim(message=make_message(k, "x"), delivery_id=f"{k}-1", attempts=1) for k in keys]


async def test_local_turns_skip_voided_and_stalled_tickets() -> None:
    turns = LocalTurns(stall_s=0.2)
    tickets = []
    for key in "abcd":
        _, ticket = await turns.ticketed(lambda key=key: _return(_claims(key)))  # type: ignore[misc]
        tickets.append(ticket)
    assert tickets == [1, 2, 3, 4]
    assert await turns.ticketed(lambda: _return([])) == ([], None)  # an empty claim takes no turn
    await turns.wait(1)
    await turns.void(2)  # given back before its turn: skipped when 1 ends
    await turns.finish(1, {})
    await asyncio.wait_for(turns.wait(3), timeout=1)
    # 3 never finishes (its worker died): 4 goes on after the stall time, not forever.
    started = asyncio.get_running_loop().time()
    await asyncio.wait_for(turns.wait(4), timeout=2)
    assert asyncio.get_running_loop().time() - started >= 0.2


async def _return(claims: list[Claim]) -> list[Claim]:
    return claims


async def test_redis_turns_hand_each_replicas_facts_to_the_others_in_order() -> None:
    await redis_reachable()
    namespace = f"test-turns-{uuid.uuid4().hex[:10]}"
    a, b = (RedisTurns(TEST_REDIS_URL, namespace, name, stall_s=5.0) for name in ("a", "b"))
    await a.open()
    await b.open()
    try:
        _, t1 = await a.ticketed(lambda: _return(_claims("m1")))
        _, t2 = await b.ticketed(lambda: _return(_claims("m2")))
        _, t3 = await a.ticketed(lambda: _return(_claims("m3")))
        assert (t1, t2, t3) == (1, 2, 3)
        waiting = asyncio.create_task(b.wait(2))
        await asyncio.sleep(0.05)
        assert not waiting.done()  # b's batch waits for a's earlier one
        assert await a.wait(1) == []
        await a.finish(1, {"spikes": [["m1"]]})
        assert await asyncio.wait_for(waiting, timeout=2) == [{"spikes": [["m1"]]}]
        await b.finish(2, {"spikes": [["m2"]]})
        assert await a.wait(3) == [{"spikes": [["m2"]]}]  # not its own m1 again
        await a.finish(3, {"spikes": [["m3"]]})
        late = RedisTurns(TEST_REDIS_URL, namespace, "c", stall_s=5.0)  # a replica starting now
        await late.open()
        try:
            _, t4 = await late.ticketed(lambda: _return(_claims("m4")))
            facts = await late.wait(t4 or 0)
            assert [f["spikes"] for f in facts] == [[["m1"]], [["m2"]], [["m3"]]]
        finally:
            await late.close()
    finally:
        await a.close()
        await b.close()
        cleanup = RedisStore(TEST_REDIS_URL, namespace=namespace)
        await cleanup.open()
        await cleanup.clear()
        await cleanup.close()
