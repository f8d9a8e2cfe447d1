"""One scheduler replica in a process of its own, for the two-scheduler test.

`python -m tests.scheduler_process NAME OUT_DIR REDIS_URL DATABASE_URL NAMESPACE CLOCK_FILE`: runs
the real leader loop (lease on the shared Redis, campaign records and outbox on the shared
PostgreSQL) and an outbox publisher writing to a recording file of its own. The scheduler's clock
is the ISO time in CLOCK_FILE, moved by the test (no waiting for real campaign times). Prints
"ready" once started, then "leading" / "following" whenever that changes; stops gracefully when
its stdin closes (a SIGKILL is the crash the test wants).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from datetime import datetime
from pathlib import Path

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.config import load_settings
from bot.engine.outbox import Publisher
from bot.store.factory import build_store
from scheduler.service import build_leader

LEASE_S = 1.5


async def main(name: str, out: Path, redis_url: str, database_url: str, namespace: str, clock: Path) -> None:
    settings = load_settings(
        data_dir=out / name,
        redis_url=redis_url,
        database_url=database_url,
        instance=name,
        reading_processes=0,
        scheduler={"lease_s": LEASE_S, "sweep_s": 0.1},
    )
    store = build_store(settings, namespace=namespace)
    await store.open()

    def now() -> datetime:
        return datetime.fromisoformat(clock.read_text(encoding="utf-8").strip())

    recording = RecordingAdapter(RecordingConfig(path=out / f"{name}-published.jsonl"))
    publisher = Publisher(store, {"*": recording})
    leader = build_leader(settings, store, clock=now, wake=publisher.wake.set)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(publisher.run(stop, idle_s=0.05)), asyncio.create_task(leader.run(stop))]

    async def report() -> None:
        while True:
            await leader.changed.wait()
            leader.changed.clear()
            print("leading" if leader.leading else "following", flush=True)

    reporter = asyncio.create_task(report())
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    stop.set()
    for task in tasks:
        await task
    reporter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reporter
    await store.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], Path(args[1]), args[2], args[3], args[4], Path(args[5])))
