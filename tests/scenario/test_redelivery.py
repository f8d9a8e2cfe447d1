"""A worker dies between processing and ack: the message comes back, its effects happen once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pytest

from bot.core.context import MessageContext
from bot.core.models import Claim, DeadLetter, utc_now
from bot.engine.effects import EffectApplier
from bot.engine.runtime import Extensions, build_pipeline
from bot.engine.worker import Worker
from bot.pipeline.guards import ReplyGuard
from bot.store.base import Store, StoreSettings
from tests.conftest import eventually, make_message, open_store, settings_for


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the worker catches it."""


class DiesBeforeAck:
    """Wraps a real store; the first `ack` kills the worker, as a crash at that instant would."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def ack(self, claims: Sequence[Claim]) -> None:
        raise WorkerKilled


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
async def test_crash_before_ack_redelivers_and_effects_happen_once(kind: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = await open_store(kind, tmp_path, StoreSettings(visibility_timeout_s=0.3, max_attempts=5))
    try:
        pipeline = build_pipeline(settings, store)
        messages = [
            make_message(
                "case-1",
                "Me han cobrado dos veces la factura de mayo, mi línea es la 612345678",
                created_at=utc_now(),
            ),
            make_message("kb-1", "Hello, how do I restart my router?", handle="@bob", created_at=utc_now()),
        ]
        assert await store.enqueue(messages) == [True, True]

        doomed = Worker(
            "w1",
            cast(Store, DiesBeforeAck(store)),
            pipeline,
            EffectApplier(store, ReplyGuard(store, settings.guards)),
        )
        with pytest.raises(WorkerKilled):
            await doomed.run_once()
        first_outbox = await store.list_outbox()
        first_cases = await store.count_records("case")

        survivor = Worker("w2", store, pipeline, EffectApplier(store, ReplyGuard(store, settings.guards)))
        await eventually(survivor.run_once, timeout=5)

        assert await store.queue_depth() == 0
        assert len(await store.list_decisions()) == 2
        assert sorted(i.idempotency_key for i in await store.list_outbox()) == sorted(
            i.idempotency_key for i in first_outbox
        )
        assert await store.count_records("case") == first_cases
        decisions = {d.message_key: d for d in await store.list_decisions()}
        assert decisions["twitter:case-1"].action == "case" and decisions["twitter:case-1"].suppressed is None
        assert [i.idempotency_key for i in first_outbox] == ["case_ack:twitter:case-1:robot"]
    finally:
        await store.clear()
        await store.close()


async def test_message_that_always_fails_is_dead_lettered_not_lost(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    store = await open_store("sqlite", tmp_path, StoreSettings(max_attempts=2, retry_backoff_s=0.01))
    try:

        class Exploding:
            async def analyse(self, ctx: MessageContext) -> None:
                raise RuntimeError("analyser bug")

        pipeline = build_pipeline(settings, store, extensions=Extensions(analysers=[Exploding()]))
        await store.enqueue([make_message("boom")])
        worker = Worker("w1", store, pipeline, EffectApplier(store, ReplyGuard(store, settings.guards)))
        letters = await eventually(lambda: _run_then_letters(worker, store), timeout=5)
        assert (
            letters[0].message is not None
            and letters[0].message.id == "boom"
            and "analyser bug" in letters[0].error
        )
        assert await store.queue_depth() == 0
    finally:
        await store.close()


async def _run_then_letters(worker: Worker, store: Store) -> list[DeadLetter]:
    await worker.run_once()
    return list(await store.dead_letters())
