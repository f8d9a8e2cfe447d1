"""The publisher: retries with backoff, honours Retry-After, never guesses on unknown outcomes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from adapters.base import (
    AdapterStats,
    NoPoller,
    NoRoutes,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Receipt,
    TemporaryFailure,
    Translation,
    WindowExpired,
)
from bot.core.models import AccountKind, OutboxItem
from bot.engine.outbox import Publisher
from bot.pipeline.guards import set_kill_switch
from bot.store.base import Store

T0 = datetime(2026, 5, 20, 10, tzinfo=UTC)


class ScriptedAdapter(NoRoutes, NoPoller):
    """An adapter whose sends fail as scripted, then succeed; records every attempt."""

    name = "scripted"
    channels: tuple[str, ...] = ("twitter",)

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.attempts: list[str] = []
        self.stats = AdapterStats()

    def translate(self, payload: object, headers: Mapping[str, str]) -> Translation:
        return Translation()

    def status(self) -> str:
        return "ok"

    async def send(self, item: OutboxItem) -> Receipt:
        self.attempts.append(item.idempotency_key)
        if self.failures:
            raise self.failures.pop(0)
        return {"id": f"post-{len(self.attempts)}"}

    async def close(self) -> None:
        return None


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def item(key: str = "reply:twitter:m1:robot", account: AccountKind = "robot") -> OutboxItem:
    return OutboxItem(
        idempotency_key=key,
        account=account,
        channel="twitter",
        target="m1",
        text="hola",
        created_at=T0,
        next_attempt_at=T0,
    )


async def test_publishes_once_and_keeps_the_receipt(store: Store) -> None:
    adapter = ScriptedAdapter()
    publisher = Publisher(store, {"twitter": adapter}, clock=Clock())
    await store.add_outbox([item()])
    assert await publisher.run_once() == 1
    assert await publisher.run_once() == 0
    published = await store.get_outbox("reply:twitter:m1:robot")
    assert published is not None and published.status == "published" and published.receipt == {"id": "post-1"}
    assert adapter.attempts == ["reply:twitter:m1:robot"]


async def test_rate_limit_waits_for_retry_after(store: Store) -> None:
    clock = Clock()
    adapter = ScriptedAdapter(RateLimited(retry_after=30))
    publisher = Publisher(store, {"twitter": adapter}, clock=clock)
    await store.add_outbox([item()])
    await publisher.run_once()
    clock.now = T0 + timedelta(seconds=29)
    await publisher.run_once()
    assert len(adapter.attempts) == 1
    clock.now = T0 + timedelta(seconds=91)  # past Retry-After and the send lease
    await publisher.run_once()
    final = await store.get_outbox("reply:twitter:m1:robot")
    assert final is not None and final.status == "published" and len(adapter.attempts) == 2


async def test_temporary_failures_back_off_then_fail(store: Store) -> None:
    clock = Clock()
    adapter = ScriptedAdapter(*(TemporaryFailure("503") for _ in range(5)))
    publisher = Publisher(store, {"twitter": adapter}, clock=clock, max_attempts=3, base_backoff_s=10)
    await store.add_outbox([item()])
    for minute in range(0, 30, 2):
        clock.now = T0 + timedelta(minutes=minute)
        await publisher.run_once()
    final = await store.get_outbox("reply:twitter:m1:robot")
    assert final is not None and final.status == "failed" and final.attempts == 3
    assert "gave up after 3" in (final.last_error or "")


async def test_unknown_outcome_goes_to_review_not_retry(store: Store) -> None:
    clock = Clock()
    adapter = ScriptedAdapter(OutcomeUnknown("connection dropped after sending"))
    publisher = Publisher(store, {"twitter": adapter}, clock=clock)
    await store.add_outbox([item()])
    await publisher.run_once()
    clock.now = T0 + timedelta(hours=1)
    await publisher.run_once()
    final = await store.get_outbox("reply:twitter:m1:robot")
    assert final is not None and final.status == "needs_review" and len(adapter.attempts) == 1
    assert [e.kind for e in await store.list_audit()] == ["outbox_needs_review"]


async def test_permanent_failure_is_final(store: Store) -> None:
    adapter = ScriptedAdapter(PermanentFailure("tweet deleted"))
    publisher = Publisher(store, {"twitter": adapter}, clock=Clock())
    await store.add_outbox([item()])
    await publisher.run_once()
    final = await store.get_outbox("reply:twitter:m1:robot")
    assert final is not None and final.status == "failed" and final.last_error == "tweet deleted"


async def test_kill_switch_holds_automatic_items_but_not_approved_ones(store: Store) -> None:
    clock = Clock()
    adapter = ScriptedAdapter()
    publisher = Publisher(store, {"twitter": adapter}, clock=clock)
    await set_kill_switch(store, on=True, actor="test")
    await store.add_outbox([item(), item("approved:twitter:m1:official", account="official")])
    await publisher.run_once()
    assert adapter.attempts == ["approved:twitter:m1:official"]
    await set_kill_switch(store, on=False, actor="test")
    await publisher.run_once()
    assert adapter.attempts[-1] == "reply:twitter:m1:robot"


class HeldAdapter(ScriptedAdapter):
    """Sends wait until the test lets them go, so a second pass surely starts meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.sending = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, item: OutboxItem) -> Receipt:
        self.sending.set()
        await self.release.wait()
        return await super().send(item)


async def test_a_pass_started_during_another_waits_for_it(store: Store) -> None:
    """`run_once` returning 0 must mean "nothing left", not "another pass holds it"."""
    adapter = HeldAdapter()
    clock = Clock()
    publisher = Publisher(store, {"twitter": adapter}, clock=clock)
    await store.add_outbox([item(f"reply:twitter:m{i}:robot") for i in range(3)])
    background = asyncio.ensure_future(publisher.run_once())
    await adapter.sending.wait()  # the background pass is sending now
    # Let the held sends go a little later: a second pass that did not wait for the first
    # would return before they end. (A slow machine only makes the check weaker, never flaky.)
    asyncio.get_running_loop().call_later(0.05, adapter.release.set)
    assert await publisher.run_once() == 0  # waited for it, then found nothing due
    assert (await store.outbox_counts())["published"] == 3, "returned before the sends ended"
    assert await background == 3
    assert sorted(adapter.attempts) == [f"reply:twitter:m{i}:robot" for i in range(3)]


async def test_window_expired_is_failed_distinctly_and_audited(store: Store) -> None:
    adapter = ScriptedAdapter(WindowExpired("the customer wrote 25.0 h ago"))
    publisher = Publisher(store, {"twitter": adapter}, clock=Clock())
    await store.add_outbox([item()])
    await publisher.run_once()
    await publisher.run_once()
    final = await store.get_outbox("reply:twitter:m1:robot")
    assert final is not None and final.status == "failed" and len(adapter.attempts) == 1
    assert final.last_error == "window expired: the customer wrote 25.0 h ago"
    assert [e.kind for e in await store.list_audit()] == ["outbox_window_expired"]
