"""Stopping the timed jobs lets a run in progress finish: a run cut mid-database-call leaks."""

from __future__ import annotations

import asyncio

from scheduler.timed_jobs import TimedJob, TimedJobs


class SlowRun:
    """A job that, once started, waits for `release` before it finishes."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = False
        self.cancelled = False

    async def __call__(self) -> None:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished = True


async def test_a_run_in_progress_at_stop_finishes_instead_of_being_cancelled() -> None:
    run = SlowRun()
    jobs = TimedJobs([TimedJob("sweep", 3600, run)], stop_grace_s=5)
    jobs.start()
    await asyncio.wait_for(run.started.wait(), timeout=5)
    stopping = asyncio.create_task(jobs.stop())
    await asyncio.sleep(0.05)  # APScheduler's shutdown has cancelled what it runs by now
    assert not jobs.running and not stopping.done()  # stop waits for the run
    run.release.set()
    await asyncio.wait_for(stopping, timeout=5)
    assert run.finished and not run.cancelled


async def test_a_run_hung_past_the_grace_is_cancelled_and_stop_returns() -> None:
    run = SlowRun()
    jobs = TimedJobs([TimedJob("sweep", 3600, run)], stop_grace_s=0.1)
    jobs.start()
    await asyncio.wait_for(run.started.wait(), timeout=5)
    await asyncio.wait_for(jobs.stop(), timeout=5)
    assert run.cancelled and not run.finished


async def test_stop_without_a_run_in_progress_returns_at_once() -> None:
    ran = asyncio.Event()

    async def quick() -> None:
        ran.set()

    jobs = TimedJobs([TimedJob("sweep", 3600, quick)])
    jobs.start()
    await asyncio.wait_for(ran.wait(), timeout=5)
    await asyncio.wait_for(jobs.stop(), timeout=1)
    assert not jobs.running
    await jobs.stop()  # twice is harmless
