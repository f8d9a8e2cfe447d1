"""Never publish twice after a crash (issue 11, finding 2), on both stores.

The publisher used to send, then mark the item published: a crash, a cancelled task or a store
error in between left it pending, and when the lease ran out it was sent again. Now the attempt
is recorded before the send, so an attempt whose outcome was never recorded turns into
`needs_review` instead of a second post.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

import pytest

from bot.core.models import OutboxItem
from bot.engine.outbox import SEND_LEASE, Publisher
from bot.store.base import Store
from tests.unit.bot.engine.test_outbox import T0, Clock, ScriptedAdapter, item


class StoreDownAfterSend:
    """The real store, except that recording a send's outcome fails (Redis restarted, disk gone)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def update_outbox(self, updated: OutboxItem) -> None:
        if updated.status != "pending" or updated.receipt is not None:
            raise ConnectionError("store went away after the send")
        await self._store.update_outbox(updated)

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        for each in items:
            await self.update_outbox(each)


class HangingAdapter(ScriptedAdapter):
    """Records the send reaching the platform, then never answers (the process dies here)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()

    async def send(self, outgoing: OutboxItem) -> dict[str, Any]:
        self.attempts.append(outgoing.idempotency_key)
        self.sent.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def after_lease(store: Store, adapter: ScriptedAdapter, clock: Clock) -> OutboxItem:
    clock.now = T0 + SEND_LEASE + timedelta(seconds=1)
    assert await Publisher(store, {"*": adapter}, clock=clock).run_once() == 1
    final = await store.get_outbox(item().idempotency_key)
    assert final is not None
    return final


async def test_store_error_after_send_never_resends(store: Store) -> None:
    await store.add_outbox([item()])
    adapter, clock = ScriptedAdapter(), Clock()
    with pytest.raises(ConnectionError):
        await Publisher(cast(Store, StoreDownAfterSend(store)), {"*": adapter}, clock=clock).run_once()
    assert adapter.attempts == [item().idempotency_key]
    # Within the lease nothing is due: no second publisher picks it up early.
    clock.now = T0 + timedelta(seconds=10)
    assert await Publisher(store, {"*": adapter}, clock=clock).run_once() == 0
    final = await after_lease(store, adapter, clock)
    assert adapter.attempts == [item().idempotency_key]  # sent once, never again
    assert final.status == "needs_review" and "outcome was never recorded" in (final.last_error or "")
    assert await store.outbox_counts() == {**dict.fromkeys(await store.outbox_counts(), 0), "needs_review": 1}


async def test_task_cancelled_between_send_and_mark_never_resends(store: Store) -> None:
    await store.add_outbox([item()])
    hanging, clock = HangingAdapter(), Clock()
    task = asyncio.create_task(Publisher(store, {"*": hanging}, clock=clock).run_once())
    await asyncio.wait_for(hanging.sent.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    healthy = ScriptedAdapter()
    final = await after_lease(store, healthy, clock)
    assert healthy.attempts == [] and final.status == "needs_review"


async def test_a_completed_attempt_clears_its_marker(store: Store) -> None:
    await store.add_outbox([item()])
    adapter, clock = ScriptedAdapter(), Clock()
    assert await Publisher(store, {"*": adapter}, clock=clock).run_once() == 1
    final = await store.get_outbox(item().idempotency_key)
    assert final is not None and final.status == "published" and final.attempt_started_at is None
