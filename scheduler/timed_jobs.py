"""APScheduler 3.x behind a small typed facade: interval jobs on the event loop, in memory.

Why in memory: APScheduler's job stores must not be shared by several schedulers, and its state
is not what makes a post happen once (the outbox keys do). Only the leader runs a scheduler; a
new leader builds a fresh one and its jobs run at once, recomputing what is due from the
records. Each job runs one instance at a time and missed runs coalesce into one.

Why stopping waits for a run in progress: APScheduler's asyncio executor cancels running jobs
at shutdown, and a run cancelled inside a database call can leave a half-opened connection
behind (SQLAlchemy warns when it is collected) or a statement half-read. A run is allowed to
finish for up to `STOP_GRACE_S`; only one that hangs past it is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

STOP_GRACE_S: Final = 5.0


@dataclass(frozen=True, slots=True)
class TimedJob:
    """Periodic work of the leader: `run` every `interval_s` seconds, the first time at once."""

    name: str
    interval_s: float
    run: Callable[[], Awaitable[object]]


class TimedJobs:
    """The leader's APScheduler: started when leadership is won, shut down when it is lost."""

    def __init__(self, jobs: Sequence[TimedJob], *, stop_grace_s: float = STOP_GRACE_S) -> None:
        self._jobs = list(jobs)
        self._scheduler: AsyncIOScheduler | None = None
        self._stop_grace_s = stop_grace_s
        self._runs: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        """A fresh scheduler (one that was shut down keeps nothing worth reusing)."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        for job in self._jobs:
            scheduler.add_job(
                self._shielded(_guarded(job)),
                "interval",
                seconds=job.interval_s,
                id=job.name,
                name=job.name,
                next_run_time=datetime.now(UTC),
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """No new runs; a run in progress finishes (up to the grace), then is cancelled."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        runs = set(self._runs)
        if not runs:
            return
        _, hung = await asyncio.wait(runs, timeout=self._stop_grace_s)
        for run in hung:
            log.warning("scheduled job still running after %.0f s at stop; cancelled", self._stop_grace_s)
            run.cancel()
        if hung:
            await asyncio.wait(hung)

    def _shielded(self, run: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        """The run goes on in a task of ours, so the executor's cancel at shutdown misses it."""

        async def shielded() -> None:
            task = asyncio.ensure_future(run())
            self._runs.add(task)
            task.add_done_callback(self._runs.discard)
            await asyncio.shield(task)

        return shielded


def _guarded(job: TimedJob) -> Callable[[], Awaitable[None]]:
    """A failed run is logged and retried by the next one; it never stops the scheduler."""

    async def run() -> None:
        try:
            await job.run()
        except Exception:
            log.exception("scheduled job %s failed; its next run retries", job.name)

    return run
