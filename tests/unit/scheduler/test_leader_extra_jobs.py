"""The service's other timed work (the SLA check, the CRM sync) rides on the scheduler's leader:
of two replicas only the lease holder runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store.base import Store
from scheduler.service import build_leader
from scheduler.timed_jobs import TimedJob
from tests.conftest import eventually, settings_for


async def test_an_extra_job_runs_on_the_leader_only(store: Store, tmp_path: Path) -> None:
    runs = {"a": 0, "b": 0}

    def job(name: str) -> TimedJob:
        async def run() -> None:
            runs[name] += 1

        return TimedJob("sla-check", 0.05, run)

    settings = settings_for(tmp_path, scheduler={"lease_s": 6})
    replicas = [
        build_leader(settings.model_copy(update={"instance": name}), store, extra_jobs=[job(name)])
        for name in ("a", "b")
    ]
    stops = [asyncio.Event(), asyncio.Event()]
    first = asyncio.create_task(replicas[0].run(stops[0]))
    await eventually(lambda: _ran(runs, "a", 3))
    second = asyncio.create_task(replicas[1].run(stops[1]))
    await eventually(lambda: _ran(runs, "a", 6))
    assert runs["b"] == 0 and not replicas[1].leading
    stops[0].set()  # a deploy: the follower takes the job over
    await first
    await eventually(lambda: _ran(runs, "b", 1), timeout=15)
    stops[1].set()
    await second


async def _ran(runs: dict[str, int], name: str, at_least: int) -> bool:
    return runs[name] >= at_least
