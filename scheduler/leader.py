"""One scheduler for all replicas: the one holding a renewed lease in the hot-path store.

Every replica runs this loop; the holder of the lease `scheduler` (wall clock, Redis or SQLite)
runs the timed jobs and renews the lease every third of its life, the others retry taking it at
the same pace. A leader that fails to renew (lost it, or cannot reach the store) stops its jobs
at once; when it dies, the lease lapses and another replica takes over within `lease_s` plus one
retry interval. Being leader twice for a moment is harmless: jobs only enqueue with
deterministic outbox keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Final

from bot.store.base import Store
from scheduler.timed_jobs import TimedJob, TimedJobs

log = logging.getLogger(__name__)

LEASE_NAME: Final = "scheduler"


class SchedulerLeader:
    """Takes, renews and gives up the scheduler lease, starting and stopping the jobs with it."""

    def __init__(self, store: Store, owner: str, jobs: Sequence[TimedJob], *, lease_s: float = 15.0) -> None:
        self._store = store
        self.owner = owner
        self._jobs = TimedJobs(jobs)
        self._lease_s = lease_s
        self.changed = asyncio.Event()
        """Set whenever this replica gains or loses leadership (tests and logs watch it)."""

    @property
    def leading(self) -> bool:
        return self._jobs.running

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: hold or try to take the lease; on the way out, give it up."""
        try:
            while not stop.is_set():
                await self.check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._lease_s / 3)
        finally:
            await self._step_down(release=True)

    async def check(self) -> bool:
        """One round: renew (leader) or try to acquire (follower); True when leading after it."""
        try:
            if self.leading:
                held = await self._store.hot.renew_lease(LEASE_NAME, self.owner, self._lease_s)
            else:
                held = await self._store.hot.acquire_lease(LEASE_NAME, self.owner, self._lease_s)
        except Exception:
            # Without the store this replica cannot prove it holds the lease: it must not lead.
            log.exception("scheduler lease check failed; not leading until the store answers")
            held = False
        if held and not self.leading:
            log.info("scheduler: %s is the leader (lease %.0f s)", self.owner, self._lease_s)
            self._jobs.start()
            self.changed.set()
        elif not held and self.leading:
            log.warning("scheduler: %s lost the lease; its timed jobs stop", self.owner)
            await self._step_down(release=False)
        return held

    async def resign(self) -> None:
        """Stop the jobs and give the lease up (shutdown, or a test ending)."""
        await self._step_down(release=True)

    async def _step_down(self, *, release: bool) -> None:
        was_leading = self.leading
        await self._jobs.stop()
        if was_leading:
            self.changed.set()
        if release and was_leading:
            try:
                await self._store.hot.release_lease(LEASE_NAME, self.owner)
            except Exception:
                log.exception("scheduler lease release failed; it lapses in %.0f s", self._lease_s)
