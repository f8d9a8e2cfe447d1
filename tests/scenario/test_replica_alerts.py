"""Two replicas on one Redis + PostgreSQL raise exactly one replica's spike and crisis alerts.

Each burst is posted in one go (as one webhook request or a backfill would), so its batches
race across the workers of two processes; the alerts, incidents, crisis threads and decisions
must still be those of one process with one worker, every message decided once, nothing in
the dead letters, nothing published twice. The bundled Madrid burst runs everywhere; the three
scenario files of ../shared run where it is (CI fails loudly without it). The replicas run
without the KB model (three processes loading it would take most of the test's time): what is
checked is that two replicas equal one, and the scenarios' expected alerts.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import InboundMessage, utc_now
from bot.core.records import RecordKind
from bot.store.redis import RedisStore
from bot.store.sql.executor import EngineExecutor
from bot.store.sql.store import SqlRecordStore
from bot.store.sql.url import parse_database_url
from tests.conftest import TEST_REDIS_URL, redis_reachable
from tests.paths import TEST_DATA
from tests.replica_process import publications, stop_replicas
from tests.sql_fixtures import drop_schema, postgres_reachable, postgres_url

ROOT = Path(__file__).resolve().parents[2]


def _burst(path: Path) -> list[InboundMessage]:
    """The burst moved to end a minute ago (same shape), so replies to it are still due."""
    rows = [InboundMessage.model_validate(json.loads(line)) for line in path.read_text().splitlines()]
    shift = utc_now() - timedelta(minutes=1) - max(m.created_at for m in rows)
    return [m.model_copy(update={"created_at": m.created_at + shift}) for m in rows]


@dataclass(frozen=True, slots=True)
class Run:
    alerts: dict[str, dict[str, Any]]
    incidents: list[str]
    cases_by_incident: list[tuple[str, int]]
    decisions: list[tuple[str, str, str]]  # key, action, rule
    decided_per_replica: list[int]
    published: Counter[str]
    dead_letters: int


def _alert(data: dict[str, Any]) -> dict[str, Any]:
    """What must match: everything but wall-clock times (a crisis alert's `at` is when decided)."""
    related = sorted((m["key"], m["action"]) for m in data.get("related_messages", []))
    same = {k: data.get(k) for k in ("kind", "topic", "first_message_at", "count", "status", "message_key")}
    if data["kind"] != "crisis":  # spikes and trends run on the messages' clock
        same |= {"at": data["at"], "keys": sorted(data["keys"]), "members": sorted(data["message_keys"])}
    return {**same, "related": related}


async def _start(name: str, out: Path, database_url: str, namespace: str, workers: int) -> Any:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.replica_process", name, str(out), TEST_REDIS_URL, database_url),
        *(namespace, str(workers), "spikes"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "CENTINELA_READING_PROCESSES": "0"},
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    assert line.strip() == b"ready", line
    return proc


async def _run(messages: list[InboundMessage], out: Path, *, replicas: int, workers: int) -> Run:
    schema = f"centinela_alerts_{uuid.uuid4().hex[:10]}"
    namespace = f"test-alerts-{uuid.uuid4().hex[:10]}"
    database_url = postgres_url(schema)
    await asyncio.to_thread(out.mkdir)
    procs = []
    hot = RedisStore(TEST_REDIS_URL, namespace=namespace)
    rec = SqlRecordStore(EngineExecutor(parse_database_url(database_url)))
    try:
        procs = [await _start(f"replica-{i}", out, database_url, namespace, workers) for i in range(replicas)]
        await hot.open()
        await rec.open()
        assert all(await hot.enqueue(messages))  # the whole burst at once: its batches race
        deadline = asyncio.get_running_loop().time() + 90
        while True:
            decided = len(await rec.list_decisions(limit=10 * len(messages)))
            drained = decided >= len(messages) and await hot.queue_depth() == 0
            if drained and (await rec.outbox_counts())["pending"] == 0:
                break
            assert asyncio.get_running_loop().time() < deadline, f"{decided} of {len(messages)} decided"
            await asyncio.sleep(0.2)
    finally:
        await stop_replicas(procs)
    try:
        alerts = {r.id: _alert(r.data) for r in await rec.list_records(RecordKind.ALERT, limit=1000)}
        incidents = sorted(r.id for r in await rec.list_records(RecordKind.INCIDENT, limit=1000))
        cases = await rec.list_records(RecordKind.CASE, limit=10_000)
        by_incident = Counter(str(c.data.get("incident_id")) for c in cases)
        listed = await rec.list_decisions(limit=10_000)
        decisions = sorted((d.message_key, str(d.action), d.rule) for d in listed)
        published = publications(out, replicas)
        per_replica = [len((out / f"replica-{i}-decided.txt").read_text().split()) for i in range(replicas)]
        dead = await hot.count_dead_letters()
        return Run(alerts, incidents, sorted(by_incident.items()), decisions, per_replica, published, dead)
    finally:
        await rec.close()
        await hot.clear()
        await hot.close()
        await drop_schema(schema)


async def _same_alerts_as_one_replica(messages: list[InboundMessage], tmp_path: Path) -> Run:
    await redis_reachable()
    await postgres_reachable()
    one = await _run(messages, tmp_path / "one", replicas=1, workers=1)
    two = await _run(messages, tmp_path / "two", replicas=2, workers=2)
    for run in (one, two):
        assert sum(run.decided_per_replica) == len(messages)  # each message decided once
        assert len(run.decisions) == len(messages)
        assert run.dead_letters == 0
        assert run.published and max(run.published.values()) == 1  # nothing published twice
    assert all(two.decided_per_replica), f"both replicas must share the work: {two.decided_per_replica}"
    differing = {k: (one.alerts.get(k), two.alerts.get(k)) for k in {*one.alerts, *two.alerts}}
    assert two.alerts == one.alerts, json.dumps({k: v for k, v in differing.items() if v[0] != v[1]})
    assert two.incidents == one.incidents
    assert two.cases_by_incident == one.cases_by_incident
    assert two.decisions == one.decisions
    assert set(two.published) == set(one.published)
    return one


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_bundled_madrid_burst_gives_one_spike_on_two_replicas(tmp_path: Path) -> None:
    one = await _same_alerts_as_one_replica(_burst(TEST_DATA / "bursts" / "madrid_small.jsonl"), tmp_path)
    spikes = [a for a in one.alerts.values() if a["kind"] == "spike"]
    assert len(spikes) == 1, one.alerts
    assert one.incidents and one.cases_by_incident  # its complaints grouped under the incident


@pytest.mark.slow
@pytest.mark.timeout(400)
@pytest.mark.parametrize("name", ["outage_madrid", "influencer", "calm_day"])
async def test_shared_bursts_give_one_replicas_alerts_on_two(
    name: str, shared_dir: Path, tmp_path: Path
) -> None:
    burst = _burst(shared_dir / "eval" / "bursts" / f"{name}.jsonl")
    one = await _same_alerts_as_one_replica(burst, tmp_path)
    kinds = Counter(a["kind"] for a in one.alerts.values())
    if name == "outage_madrid":  # EXPECTED.md: exactly one spike, no crisis
        assert kinds["spike"] == 1 and kinds["crisis"] == 0, one.alerts
    elif name == "influencer":  # one crisis, its replies attached to its thread
        crises = [a for a in one.alerts.values() if a["kind"] == "crisis"]
        assert len(crises) == 1 and crises[0]["message_key"].endswith("i0036"), one.alerts
        assert len(crises[0]["related"]) >= 15
    else:  # a campaign's echo may be a trend, never a spike or a crisis
        assert kinds["spike"] == 0 and kinds["crisis"] == 0, one.alerts
