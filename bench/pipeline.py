"""Pipeline throughput: queue → pipeline → outbox on one store, in a process of its own.

Run as `python -m bench.pipeline --store sqlite|postgres+redis --messages FILE [--kb DIR]`;
prints one JSON object. With `--kb` the knowledge-base model is on (embeddings, search,
classifier, learned models): the configuration users run. `postgres+redis` is the production
shape: hot path in Redis, records in PostgreSQL (the replay works in a schema of its own,
dropped after).
A separate process keeps the memory figures honest (nothing else loaded) and the stores
isolated. Memory is reported for the worker process alone (`peak_rss_mb`) and for the whole
tree with its reading helpers (`bench.memory`), and so is the CPU spent deciding (`bench.cpu`,
the benchmark's samplers left out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from bench.cpu import TreeCpu
from bench.memory import PeakTreeMemory
from bot.cli.malloc_arenas import limit_malloc_arenas
from bot.cli.replay import run_replay
from bot.cli.traffic import read_messages
from bot.config import load_settings


async def _run(
    store: str, messages_path: Path, redis_url: str, database_url: str, kb: Path | None
) -> dict[str, object]:
    items, _bad = read_messages(messages_path)
    messages = sorted((i.message for i in items), key=lambda m: m.created_at)
    with tempfile.TemporaryDirectory(prefix="centinela-bench-") as scratch:
        served = store == "postgres+redis"  # records in PostgreSQL, hot path in Redis
        settings = load_settings(
            data_dir=Path(scratch),
            redis_url=redis_url if served else None,
            database_url=database_url if served else None,
        )
        extensions = None
        if kb is not None:  # imported here: without the model, numpy and the index stay unloaded
            from bot.engine.extensions import build_extensions

            extensions = build_extensions(settings, kb)
        with PeakTreeMemory() as memory, TreeCpu(instruments=[memory]) as cpu:
            fed = 0

            def started(count: int) -> None:  # the replay's timed part begins with its first feed
                nonlocal fed
                if fed == 0:
                    cpu.mark()
                fed += count

            report = await run_replay(settings, messages, speed=None, extensions=extensions, progress=started)
    return {
        "store": store,
        "model": kb is not None,
        "messages": report["messages"],
        "pipeline_msgs_per_s": report["messages_per_second"],
        "decision_p50_ms": report["latency_ms"]["p50"],
        "decision_p99_ms": report["latency_ms"]["p99"],
        "outbox_duplicates": report["outbox"]["duplicates"],
        "peak_rss_mb": report["peak_rss_mb"],
        "reading_processes": settings.reading_processes,
        "processes": memory.peak.processes,
        "peak_tree_rss_mb": memory.peak.rss_mb,
        "peak_tree_pss_mb": memory.peak.pss_mb,
        # worker + helpers, from the first message fed to the end (start-up not counted), without
        # the benchmark's own samplers (`sampler_cpu_s`, threads of the worker process)
        "tree_cpu_s": cpu.seconds,
        "sampler_cpu_s": cpu.sampler_seconds,
        "cpu_ms_per_msg": round(cpu.seconds / report["messages"] * 1000, 3) if report["messages"] else None,
    }


def main() -> None:
    limit_malloc_arenas()  # as `centinela` does, so the memory figures are the service's
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", choices=["sqlite", "postgres+redis"], required=True)
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--kb", type=Path, help="knowledge-base folder: run with the model on")
    args = parser.parse_args()
    run = _run(args.store, args.messages, args.redis_url, args.database_url, args.kb)
    print(json.dumps(asyncio.run(run)))


if __name__ == "__main__":
    main()
