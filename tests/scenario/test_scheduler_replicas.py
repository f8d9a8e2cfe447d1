"""Two scheduler processes on one Redis and one PostgreSQL: each campaign post goes out exactly
once, and when the leader is SIGKILLed the other process takes over within the lease time."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.store.base import Store
from bot.store.factory import build_store
from scheduler.campaign_book import CampaignBook
from scheduler.leader import LEASE_NAME
from tests.conftest import TEST_REDIS_URL, redis_reachable
from tests.scheduler_process import LEASE_S
from tests.sql_fixtures import drop_schema, postgres_reachable, postgres_url
from tests.unit.scheduler.campaign_rig import DST_CAMPAIGN

ROOT = Path(__file__).resolve().parents[2]
KEYS = [
    "campaign:dst-3:step:1:2026-03-28T08:00:00Z:twitter:es",
    "campaign:dst-3:step:2:2026-03-29T07:00:00Z:twitter:es",
    "campaign:dst-3:step:3:2026-03-30T07:00:00Z:twitter:es",
]


class Replica:
    """A scheduler process and the lines it printed."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name = name
        self.proc = proc
        self.lines: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(line.decode().strip())

    async def printed(self, text: str) -> bool:
        return text in self.lines


async def _start(name: str, out: Path, database_url: str, namespace: str, clock: Path) -> Replica:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.scheduler_process",
        name,
        str(out),
        TEST_REDIS_URL,
        database_url,
        namespace,
        str(clock),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "CENTINELA_READING_PROCESSES": "0"},
    )
    return Replica(name, proc)


async def _until(check: object, timeout: float, what: str) -> float:
    """Poll an async predicate; the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        assert callable(check)
        if await check():
            return loop.time() - started
        assert loop.time() - started < timeout, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.02)


async def _published(store: Store, key: str) -> bool:
    item = await store.get_outbox(key)
    return item is not None and item.status == "published"


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_two_schedulers_post_each_step_once_and_survive_a_sigkilled_leader(tmp_path: Path) -> None:
    await redis_reachable()
    await postgres_reachable()
    schema = f"centinela_sched_{uuid.uuid4().hex[:10]}"
    namespace = f"test-sched-{uuid.uuid4().hex[:10]}"
    database_url = postgres_url(schema)
    clock = tmp_path / "clock.txt"
    clock.write_text("2026-03-28T07:00:00+00:00", encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "test", redis_url=TEST_REDIS_URL, database_url=database_url)
    store = build_store(settings, namespace=namespace)
    await store.open()
    replicas: list[Replica] = []
    try:
        book = CampaignBook(store)
        assert (await book.define(DST_CAMPAIGN, actor="ana", source="test")).ok
        assert (await book.act("dst-3", "approve", actor="jefa")).ok
        replicas = [await _start(f"sched-{i}", tmp_path, database_url, namespace, clock) for i in range(2)]
        for replica in replicas:
            await _until(lambda r=replica: r.printed("ready"), 60, f"{replica.name} start")

        async def one_leader() -> bool:
            return sum("leading" in r.lines for r in replicas) == 1

        await _until(one_leader, 30, "a leader")

        clock.write_text("2026-03-28T08:00:30+00:00", encoding="utf-8")
        await _until(lambda: _published(store, KEYS[0]), 30, "step 1 published")

        holder = await store.hot.lease_holder(LEASE_NAME)
        leader = next(r for r in replicas if holder == f"{r.name}-scheduler")
        follower = next(r for r in replicas if r is not leader)
        os.kill(leader.proc.pid, signal.SIGKILL)
        await leader.proc.wait()

        async def follower_leads() -> bool:
            return await store.hot.lease_holder(LEASE_NAME) == f"{follower.name}-scheduler"

        took_over = await _until(follower_leads, 30, "takeover")
        # The lease lapses at most LEASE_S after the leader's last renewal, and the follower tries
        # every third of it; one more second is the slack of a loaded machine.
        assert took_over < LEASE_S + LEASE_S / 3 + 1.0, took_over
        print(f"takeover after SIGKILL: {took_over:.2f} s (lease {LEASE_S} s)")

        clock.write_text("2026-03-29T07:00:30+00:00", encoding="utf-8")
        await _until(lambda: _published(store, KEYS[1]), 30, "step 2 published")
        clock.write_text("2026-03-30T07:00:30+00:00", encoding="utf-8")
        await _until(lambda: _published(store, KEYS[2]), 30, "step 3 published")

        async def done() -> bool:
            record = await book.get("dst-3")
            return record is not None and record.data["status"] == "done"

        await _until(done, 30, "campaign done")
        published = Counter[str]()
        for replica in replicas:
            path = tmp_path / f"{replica.name}-published.jsonl"
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    published[json.loads(line)["idempotency_key"]] += 1
        assert published == Counter(dict.fromkeys(KEYS, 1))  # each step exactly once
        counts = await store.records.outbox_counts()
        assert counts["published"] == 3 and counts["needs_review"] == counts["pending"] == 0
    finally:
        for replica in replicas:
            if replica.proc.returncode is None and replica.proc.stdin is not None:
                replica.proc.stdin.close()
        for replica in replicas:
            try:
                await asyncio.wait_for(replica.proc.wait(), timeout=30)
            except TimeoutError:
                replica.proc.kill()
                await replica.proc.wait()
        await store.clear()
        await store.close()
        await drop_schema(schema)
