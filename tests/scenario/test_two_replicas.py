"""Two service processes on one PostgreSQL + Redis: 5,000 messages, each decided once, no outbox
item published twice, no record lost."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.models import utc_now
from bot.store.redis import RedisStore
from bot.store.sql.executor import EngineExecutor
from bot.store.sql.schema import decisions, records
from bot.store.sql.store import SqlRecordStore
from bot.store.sql.url import parse_database_url
from tests.conftest import TEST_REDIS_URL, make_message, redis_reachable
from tests.replica_process import stop_replicas
from tests.sql_fixtures import drop_schema, postgres_reachable, postgres_url

MESSAGES = 5000
ROOT = Path(__file__).resolve().parents[2]
TEXTS = (
    "Me han cobrado dos veces la factura de este mes",  # a case, acknowledged through the outbox
    "quiero hablar con una persona por favor",
    "¿cómo reinicio el router?",
    "gracias, todo funciona genial",
)


async def _count(store: SqlRecordStore, table: object) -> int:
    rows = await store.executor.fetch(select(func.count()).select_from(table))  # type: ignore[arg-type]
    return int(rows[0][0])


async def _start(name: str, out: Path, database_url: str, namespace: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.replica_process",
        name,
        str(out),
        TEST_REDIS_URL,
        database_url,
        namespace,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "CENTINELA_READING_PROCESSES": "0"},
    )


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_two_processes_decide_each_message_once_and_publish_once(tmp_path: Path) -> None:
    await redis_reachable()
    await postgres_reachable()
    schema = f"centinela_two_{uuid.uuid4().hex[:10]}"
    namespace = f"test-two-{uuid.uuid4().hex[:10]}"
    database_url = postgres_url(schema)
    replicas = [await _start(f"replica-{i}", tmp_path, database_url, namespace) for i in range(2)]
    hot = RedisStore(TEST_REDIS_URL, namespace=namespace)
    rec = SqlRecordStore(EngineExecutor(parse_database_url(database_url)))
    try:
        for proc in replicas:  # both migrated the same schema at once (advisory lock) and started
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
            assert line.strip() == b"ready", line
        await hot.open()
        await rec.open()
        now = utc_now()
        messages = [
            make_message(
                f"r{i:05d}",
                TEXTS[i % len(TEXTS)],
                handle=f"@cliente{i}",
                created_at=now - timedelta(seconds=MESSAGES - i),
            )
            for i in range(MESSAGES)
        ]
        for start in range(0, MESSAGES, 250):
            assert all(await hot.enqueue(messages[start : start + 250]))

        deadline = asyncio.get_running_loop().time() + 150  # a bound, not a speed test: ~30 s quiet
        while True:
            done = await _count(rec, decisions) == MESSAGES and await hot.queue_depth() == 0
            if done and (await rec.outbox_counts())["pending"] == 0:
                break
            assert asyncio.get_running_loop().time() < deadline, "replicas did not finish in time"
            await asyncio.sleep(0.2)
    finally:
        await stop_replicas(replicas)

    try:
        decided = Counter[str]()
        for i in range(2):
            keys = (tmp_path / f"replica-{i}-decided.txt").read_text(encoding="utf-8").split()
            assert keys, f"replica-{i} decided nothing: both must share the work"
            decided.update(keys)
        assert len(decided) == MESSAGES and max(decided.values()) == 1  # each decided once

        published = Counter[str]()
        for i in range(2):
            path = tmp_path / f"replica-{i}-published.jsonl"
            if path.exists():
                for entry in path.read_text(encoding="utf-8").splitlines():
                    published[json.loads(entry)["idempotency_key"]] += 1
        counts = await rec.outbox_counts()
        assert published and max(published.values()) == 1  # no outbox item published twice
        assert sum(published.values()) == counts["published"]
        assert counts["pending"] == counts["failed"] == counts["needs_review"] == 0
        # No record lost: every case decision has its case record, and its acknowledgement.
        case_keys = {d.message_key for d in await rec.list_decisions(action="case", limit=MESSAGES)}
        assert len(case_keys) == MESSAGES // len(TEXTS)
        cases = await rec.executor.fetch(select(records.c.key).where(records.c.kind == "case"))
        assert {k for (k,) in cases} == case_keys
        assert await _count(rec, decisions) == MESSAGES
    finally:
        await rec.close()
        await hot.clear()
        await hot.close()
        await drop_schema(schema)
