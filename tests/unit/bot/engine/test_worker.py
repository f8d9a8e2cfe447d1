"""The worker loop: the next batch is claimed ahead, and given back when the worker stops."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from bot.core.context import MessageContext
from bot.core.effects import Effect
from bot.core.models import Claim, Decision, utc_now
from bot.engine.effects import EffectApplier
from bot.engine.runtime import Extensions, build_pipeline
from bot.engine.worker import Worker
from bot.pipeline.guards import ReplyGuard
from bot.store.base import Store, StoreSettings
from tests.conftest import eventually, make_message, open_store, settings_for


@pytest.fixture
async def store(store_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """The loop's tests check exactly-once hand-offs between batches, not redelivery: a claim must
    not expire while a slow (loaded) machine is still deciding it, or the batch claimed ahead takes
    it again and it is decided twice. The conftest store's 0.3 s timeout did that under load."""
    opened = await open_store(store_kind, tmp_path, StoreSettings(visibility_timeout_s=60.0, max_attempts=3))
    try:
        yield opened
    finally:
        await opened.clear()
        await opened.close()


def _worker(store: Store, tmp_path: Path, batch_size: int, decided: list[Decision]) -> Worker:
    settings = settings_for(tmp_path)
    return Worker(
        "w1",
        store,
        build_pipeline(settings, store),
        EffectApplier(store, ReplyGuard(store, settings.guards)),
        batch_size=batch_size,
        on_decision=decided.append,
    )


async def test_stopping_gives_back_the_batch_claimed_ahead(store: Store, tmp_path: Path) -> None:
    decided: list[Decision] = []
    worker = _worker(store, tmp_path, 10, decided)
    texts = ["¿cómo reinicio el router?", "Me han cobrado dos veces la factura", "gracias!"]
    messages = [make_message(f"m{i:03d}", texts[i % 3], created_at=utc_now()) for i in range(100)]
    await store.enqueue(messages)
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop, wake))
    await eventually(lambda: asyncio.sleep(0, result=len(decided) >= 10))
    stop.set()
    await running

    left = await store.queue_depth()
    assert 0 < left < 100 and len(decided) + left == 100
    # Nothing stays claimed: another consumer gets every remaining message now, not after the
    # visibility timeout, and none of them was decided already.
    claims = await store.claim("after-stop", 200)
    assert len(claims) == left
    assert not {c.message.key for c in claims} & {d.message_key for d in decided}


async def test_the_loop_drains_the_queue_under_both_consumer_names(store: Store, tmp_path: Path) -> None:
    decided: list[Decision] = []
    worker = _worker(store, tmp_path, 7, decided)
    await store.enqueue(
        [make_message(f"m{i:03d}", "hola, una pregunta", created_at=utc_now()) for i in range(50)]
    )
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop, wake))
    try:
        await eventually(lambda: asyncio.sleep(0, result=len(decided) == 50))
        assert await store.queue_depth() == 0
        assert len({d.message_key for d in decided}) == 50, "each message decided once"
    finally:
        stop.set()
        await running


async def test_a_slow_ack_never_hands_a_batch_out_twice(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored batch is acked while the next one is decided; the claim after it, under the same
    consumer name, waits for that ack (a claim returns the consumer's own unacked entries first,
    so without the wait the batch would come back and be decided again)."""
    decided: list[Decision] = []
    worker = _worker(store, tmp_path, 5, decided)
    ack = store.ack

    async def slow(claims: Sequence[Claim]) -> None:
        await asyncio.sleep(0.05)
        await ack(claims)

    monkeypatch.setattr(store, "ack", slow)
    await store.enqueue(
        [make_message(f"m{i:03d}", "hola, una pregunta", created_at=utc_now()) for i in range(40)]
    )
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop, wake))
    try:
        await eventually(lambda: asyncio.sleep(0, result=len(decided) >= 40))

        async def drained() -> bool:
            return await store.queue_depth() == 0

        await eventually(drained)
    finally:
        stop.set()
        await running
    assert sorted(d.message_key for d in decided) == sorted({d.message_key for d in decided})
    assert len(decided) == 40


async def test_an_echo_of_our_reply_is_recognised_in_a_batch(store: Store, tmp_path: Path) -> None:
    """Echo look-ups are made per claimed batch; a quote of our own reply must still be caught."""
    decided: list[Decision] = []
    worker = _worker(store, tmp_path, 10, decided)
    complaint = make_message(
        "c1", "Me han cobrado dos veces la factura de mayo, mi línea es la 612345678", created_at=utc_now()
    )
    await store.enqueue([complaint])
    assert await worker.run_once() == 1
    replies = await store.list_outbox()
    assert len(replies) == 1 and replies[0].account == "robot"
    quoted = make_message("q1", f"RT {replies[0].text}", handle="@someone_else", created_at=utc_now())
    fresh = make_message(
        "f1", "Me han cobrado otra vez de más en la factura", handle="@bea", created_at=utc_now()
    )
    await store.enqueue([quoted, fresh])
    assert await worker.run_once() == 2
    rules = {d.message_key: d.rule for d in decided}
    assert rules[quoted.key] == "echo-of-our-post"
    assert rules[fresh.key] != "echo-of-our-post"


class _Jitter:
    """An analyser that takes a different time for each message, as store look-ups do."""

    async def analyse(self, ctx: MessageContext) -> None:
        await asyncio.sleep(random.random() / 200)


class _Seen:
    """A stateful watcher (like spike counts or the crisis thread watcher): records the order."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def watch(self, ctx: MessageContext, decision: Decision) -> list[Effect]:
        self.keys.append(ctx.message.key)
        return []


async def test_decisions_are_made_in_the_batch_order(store: Store, tmp_path: Path) -> None:
    """Lanes overlap the effects, not the decisions: stateful watchers see the batch in order."""
    settings = settings_for(tmp_path)
    seen = _Seen()
    pipeline = build_pipeline(settings, store, extensions=Extensions(analysers=[_Jitter()], watchers=[seen]))
    worker = Worker(
        "w1", store, pipeline, EffectApplier(store, ReplyGuard(store, settings.guards)), batch_size=40
    )
    messages = [make_message(f"o{i:03d}", "hola, una pregunta", created_at=utc_now()) for i in range(40)]
    await store.enqueue(messages)
    assert await worker.run_once() == 40
    assert seen.keys == [m.key for m in messages]
