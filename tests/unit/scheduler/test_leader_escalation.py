"""War-room escalation on the scheduler's leader: of two replicas only the lease holder ticks,
so an unacknowledged alert pages once; the other replica takes the ticks over when the leader
stops."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from bot.core.models import utc_now
from bot.core.records import RecordKind
from bot.store.base import Store
from bot.warroom.state import new_state
from scheduler.service import build_leader
from tests.conftest import eventually, settings_for

SLACK = {
    "bot_token": "xoxb-test",
    "signing_secret": "secret",
    "channel": "C0WARROOM",
    "oncall_rotation": ["U0ONCALL1", "U0ONCALL2"],
    "oncall_shift_days": 100_000,
    "escalation_minutes": [10, 20, 30],
    "escalation_tick_s": 0.05,
}


class CountingClock:
    """A fixed time that counts who asked: a replica that runs no job never asks."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return self.now


async def escalations(store: Store, count: int) -> list[str] | None:
    audit = await store.list_audit(kind="warroom", limit=100)
    pages = [f"{e.subject}:{e.detail['step']}" for e in audit if e.detail.get("action") == "escalate"]
    return sorted(pages) if len(pages) >= count else None


async def test_two_replicas_escalate_once_and_the_follower_takes_over(store: Store, tmp_path: Path) -> None:
    opened = utc_now()
    await store.put_record(RecordKind.ALERT, "crisis:x:1", {"kind": "crisis", "status": "open"})
    await store.put_record(RecordKind.WARROOM, "crisis:x:1", new_state("crisis:x:1", "crisis", opened))
    settings = settings_for(tmp_path, slack=SLACK, scheduler={"lease_s": 6})
    clocks = [CountingClock(opened + timedelta(minutes=11)), CountingClock(opened + timedelta(minutes=11))]
    replicas = [
        build_leader(settings.model_copy(update={"instance": name}), store, clock=clock)
        for name, clock in zip(("a", "b"), clocks, strict=True)
    ]
    stops = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(replicas[0].run(stops[0]))
    await eventually(lambda: _leading(replicas[0].leading))
    second = asyncio.create_task(replicas[1].run(stops[1]))
    assert await eventually(lambda: escalations(store, 1)) == ["crisis:x:1:0"]
    await eventually(_called_again(clocks[0]))  # the leader keeps ticking ...
    assert clocks[1].calls == 0 and not replicas[1].leading  # ... the follower runs nothing
    assert await escalations(store, 1) == ["crisis:x:1:0"]  # one page for the step

    stops[0].set()  # the leader stops (a deploy): the follower leads and pages the next step
    await first
    for clock in clocks:
        clock.now = opened + timedelta(minutes=21)
    assert await eventually(lambda: escalations(store, 2), timeout=10) == ["crisis:x:1:0", "crisis:x:1:1"]
    assert replicas[1].leading and clocks[1].calls > 0
    stops[1].set()
    await second
    assert await escalations(store, 3) is None  # nobody paged the 30-minute step early


async def _leading(value: bool) -> bool:
    return value


def _called_again(clock: CountingClock) -> Callable[[], Awaitable[bool]]:
    seen = clock.calls

    async def check() -> bool:
        return clock.calls > seen + 2

    return check
