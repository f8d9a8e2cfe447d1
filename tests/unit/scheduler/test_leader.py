"""One leader among replicas: the lease holder runs the jobs, another takes over when it lapses."""

from __future__ import annotations

import asyncio

from bot.store.base import Store
from scheduler.leader import LEASE_NAME, SchedulerLeader
from scheduler.timed_jobs import TimedJob
from tests.conftest import eventually


class Runs:
    """A job that counts its runs and signals the first."""

    def __init__(self) -> None:
        self.count = 0
        self.ran = asyncio.Event()

    async def __call__(self) -> None:
        self.count += 1
        self.ran.set()


async def test_only_the_lease_holder_runs_jobs_and_a_silent_leader_is_replaced(store: Store) -> None:
    runs_a, runs_b = Runs(), Runs()
    a = SchedulerLeader(store, "a", [TimedJob("sweep", 3600, runs_a)], lease_s=0.4)
    b = SchedulerLeader(store, "b", [TimedJob("sweep", 3600, runs_b)], lease_s=0.4)
    try:
        assert await a.check() and not await b.check()
        await asyncio.wait_for(runs_a.ran.wait(), timeout=5)  # a new leader's jobs run at once
        assert a.leading and not b.leading and runs_b.count == 0
        # `a` stops renewing (a hung or killed process): `b` takes over once the lease lapses.
        assert await eventually(b.check, timeout=5)
        await asyncio.wait_for(runs_b.ran.wait(), timeout=5)
        assert await store.hot.lease_holder(LEASE_NAME) == "b"
        assert not await a.check() and not a.leading  # `a` wakes up, fails to renew, steps down
    finally:
        for leader in (a, b):
            await leader.resign()


async def test_a_stopping_leader_hands_over_at_once(store: Store) -> None:
    stop = asyncio.Event()
    runs = Runs()
    leader = SchedulerLeader(store, "first", [TimedJob("sweep", 3600, runs)], lease_s=30)
    task = asyncio.create_task(leader.run(stop))
    await asyncio.wait_for(runs.ran.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert not leader.leading and await store.hot.lease_holder(LEASE_NAME) is None
    follower = SchedulerLeader(store, "second", [], lease_s=30)
    assert await follower.check()  # no need to wait out the 30 s lease
    await follower.resign()


async def test_a_failing_job_is_retried_by_its_next_run(store: Store) -> None:
    calls: list[int] = []
    second = asyncio.Event()

    async def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("store hiccup")
        second.set()

    leader = SchedulerLeader(store, "only", [TimedJob("flaky", 0.05, flaky)], lease_s=30)
    try:
        assert await leader.check()
        await asyncio.wait_for(second.wait(), timeout=5)
    finally:
        await leader.resign()
