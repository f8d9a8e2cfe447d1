"""APScheduler 3.x behind a small typed facade: interval jobs on the event loop, in memory.

Why in memory: APScheduler's job stores must not be shared by several schedulers, and its state
is not what makes a post happen once (the outbox keys do). Only the leader runs a scheduler; a
new leader builds a fresh one and its jobs run at once, recomputing what is due from the
records. Each job runs one instance at a time and missed runs coalesce into one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimedJob:
    """Periodic work of the leader: `run` every `interval_s` seconds, the first time at once."""

    name: str
    interval_s: float
    run: Callable[[], Awaitable[object]]


class TimedJobs:
    """The leader's APScheduler: started when leadership is won, shut down when it is lost."""

    def __init__(self, jobs: Sequence[TimedJob]) -> None:
        self._jobs = list(jobs)
        self._scheduler: AsyncIOScheduler | None = None

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
                _guarded(job),
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

    def stop(self) -> None:
        if self._scheduler is None:
            return
        self._scheduler.shutdown(wait=False)
        self._scheduler = None


def _guarded(job: TimedJob) -> Callable[[], Awaitable[None]]:
    """A failed run is logged and retried by the next one; it never stops the scheduler."""

    async def run() -> None:
        try:
            await job.run()
        except Exception:
            log.exception("scheduled job %s failed; its next run retries", job.name)

    return run
