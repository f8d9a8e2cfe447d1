"""Throughput of 1, 2, ... replicas on one Redis + PostgreSQL, each a service process of its own.

`python -m bench.replicas --messages FILE [--replicas 1,2] [--workers 1] [--kb DIR]` prints one
JSON object: per replica count, how fast the fleet decided the whole file enqueued at once (a
backlog), with each message decided once, the dead letters and the most times one outbox key
was published (1 is right). The replicas are `tests/replica_process.py`, the same processes the
two-replica scenario tests run, so this needs a checkout. With `--kb` the KB model is on (and
each replica has its reading helpers as configured). The load average is printed beside it:
on a shared 2-core machine the ratio between counts says more than any one figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.cli.traffic import read_messages
from bot.core.models import InboundMessage
from bot.store.redis import RedisStore
from bot.store.sql.executor import EngineExecutor
from bot.store.sql.schema import decisions
from bot.store.sql.store import SqlRecordStore
from bot.store.sql.url import parse_database_url
from tests.replica_process import publications, stop_replicas

ROOT = Path(__file__).resolve().parents[1]


async def _decided(rec: SqlRecordStore) -> int:
    rows = await rec.executor.fetch(select(func.count()).select_from(decisions))
    return int(rows[0][0])


async def _fleet(
    messages: list[InboundMessage], n: int, workers: int, kb: Path | None, redis_url: str, pg: str
) -> dict[str, Any]:
    schema = f"bench_replicas_{uuid.uuid4().hex[:10]}"
    namespace = f"bench-replicas-{uuid.uuid4().hex[:10]}"
    database_url = f"{pg}?schema={schema}"
    # Each replica sizes its reading helpers to its share of this machine's CPUs.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CENTINELA_REPLICAS_PER_HOST": str(n)}
    if kb is not None:
        env["CENTINELA_BENCH_KB"] = str(kb)
    hot = RedisStore(redis_url, namespace=namespace)
    rec = SqlRecordStore(EngineExecutor(parse_database_url(database_url)))
    with tempfile.TemporaryDirectory(prefix="centinela-replicas-") as scratch:
        out = Path(scratch)
        procs = []
        try:
            for i in range(n):
                argv = ["-m", "tests.replica_process", f"replica-{i}", str(out), redis_url, database_url]
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, *argv, namespace, str(workers),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
                )  # fmt: skip
                procs.append(proc)
                assert proc.stdout is not None
                line = await asyncio.wait_for(proc.stdout.readline(), timeout=300)
                if line.strip() != b"ready":
                    raise RuntimeError(f"replica {i} did not start: {line!r}")
            await hot.open()
            await rec.open()
            started = time.perf_counter()
            for i in range(0, len(messages), 500):
                await hot.enqueue(messages[i : i + 500])
            while await _decided(rec) < len(messages) or await hot.queue_depth():
                await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
            dead = await hot.count_dead_letters()
        finally:
            await stop_replicas(procs, timeout_s=120)
        published = publications(out, n)
        per_replica = [len((out / f"replica-{i}-decided.txt").read_text().split()) for i in range(n)]
        turn_files = [out / f"replica-{i}-turns.json" for i in range(n)]
        turns = [json.loads(path.read_text()) for path in turn_files if path.exists()]
    await rec.discard()  # its own schema, dropped
    await rec.close()
    await hot.clear()
    await hot.close()
    return {
        "replicas": n,
        "workers_per_replica": workers,
        "msgs_per_s": round(len(messages) / seconds, 1),
        "seconds": round(seconds, 2),
        "decided": sum(per_replica),
        "decided_per_replica": per_replica,
        "dead_letters": dead,
        # Per replica: seconds its worker(s) waited for decision turns, and turns taken.
        "turn_wait_s_per_replica": [t["waited_s"] for t in turns],
        "turns_per_replica": [t["turns"] for t in turns],
        "max_publications_per_key": max(published.values(), default=0),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    items, _bad = read_messages(args.messages)
    messages = sorted((i.message for i in items), key=lambda m: m.created_at)
    runs = []
    for n in (int(x) for x in args.replicas.split(",")):
        runs.append(await _fleet(messages, n, args.workers, args.kb, args.redis_url, args.database_url))
    return {"messages": len(messages), "model": args.kb is not None, "runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--kb", type=Path)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    print(json.dumps(asyncio.run(_main(parser.parse_args()))))


if __name__ == "__main__":
    main()
