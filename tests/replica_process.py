"""One service replica in a process of its own, for the two-replica test.

`python -m tests.replica_process NAME OUT_DIR REDIS_URL DATABASE_URL NAMESPACE [WORKERS [spikes]]`:
runs the real runtime (workers, pipeline, publisher) on the shared Redis hot path and PostgreSQL
records, publishing to a recording file of its own, and records every key it decided. With
`spikes` the pipeline has the service's spike detection and crisis threads (no KB model; the
brand's own accounts known as the scenario KB would make them). Prints
"ready" once started; stops gracefully when its stdin closes. `CENTINELA_BENCH_KB=DIR` turns the
KB model on (the replica benchmark, `bench/replicas.py`; reading helpers as configured).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.config import load_settings
from bot.core.models import Decision
from bot.engine.extensions import build_extensions
from bot.engine.runtime import Runtime, build_pipeline
from bot.store.factory import build_store


async def stop_replicas(procs: Sequence[asyncio.subprocess.Process], timeout_s: float = 30) -> None:
    """Close their stdin (a graceful stop) and reap them; one that hangs is killed."""
    for proc in procs:
        if proc.stdin is not None:
            proc.stdin.close()
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), timeout=timeout_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def publications(out: Path, replicas: int) -> Counter[str]:
    """How many times each outbox key was published, over the replicas' recording files."""
    published = Counter[str]()
    for i in range(replicas):
        path = out / f"replica-{i}-published.jsonl"
        if path.exists():
            for entry in path.read_text(encoding="utf-8").splitlines():
                published[json.loads(entry)["idempotency_key"]] += 1
    return published


async def main(
    name: str, out: Path, redis_url: str, database_url: str, namespace: str, workers: int, spikes: bool
) -> None:
    kb = os.environ.get("CENTINELA_BENCH_KB")
    helpers = {} if kb else {"reading_processes": 0}
    settings = load_settings(
        **helpers,
        data_dir=out / name,
        redis_url=redis_url,
        database_url=database_url,
        instance=name,
        workers=workers,
        visibility_timeout_s=60,
        # Bursts in several batches, which race across workers and replicas.
        batch_size=16 if spikes else 64,
    )
    store = build_store(settings, namespace=namespace)
    await store.open()
    decided: list[str] = []

    def on_decision(decision: Decision) -> None:
        decided.append(decision.message_key)

    extensions = build_extensions(settings, Path(kb) if kb else None) if spikes or kb else None
    if extensions is not None and not kb:  # the brand the scenario KB's host names give (ayuda.ondanet)
        extensions.brands = ["ondanet"]
    recording = RecordingAdapter(RecordingConfig(path=out / f"{name}-published.jsonl"))
    runtime = Runtime(
        settings,
        store,
        build_pipeline(settings, store, extensions=extensions),
        {"*": recording},
        on_decision=on_decision,
    )
    if extensions is not None and extensions.kb is not None:  # as the service does before traffic
        await extensions.kb.knowledge_base()
        await extensions.kb.wait_until_trained()
    await runtime.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await runtime.stop()
    await store.close()
    (out / f"{name}-decided.txt").write_text("\n".join(decided) + "\n", encoding="utf-8")
    if runtime.order is not None:  # what waiting for the fleet's decision turns cost
        turns = {"waited_s": round(runtime.order.waited_s, 3), "turns": runtime.order.entered}
        (out / f"{name}-turns.json").write_text(json.dumps(turns), encoding="utf-8")


if __name__ == "__main__":
    args = sys.argv[1:]
    workers = int(args[5]) if len(args) > 5 else 2
    asyncio.run(main(args[0], Path(args[1]), args[2], args[3], args[4], workers, "spikes" in args[6:]))
