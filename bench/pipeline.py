"""Pipeline throughput: queue → pipeline → outbox on one store, in a process of its own.

Run as `python -m bench.pipeline --store sqlite|redis --messages FILE`; prints one JSON object.
A separate process keeps the RSS figure honest (nothing else loaded) and the stores isolated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from bot.config import load_settings
from bot.replay import run_replay
from bot.traffic import read_messages


async def _run(store: str, messages_path: Path, redis_url: str) -> dict[str, object]:
    items, _bad = read_messages(messages_path)
    messages = sorted((i.message for i in items), key=lambda m: m.created_at)
    with tempfile.TemporaryDirectory(prefix="centinela-bench-") as scratch:
        settings = load_settings(data_dir=Path(scratch), redis_url=redis_url if store == "redis" else None)
        report = await run_replay(settings, messages, speed=None)
    return {
        "store": store,
        "messages": report["messages"],
        "pipeline_msgs_per_s": report["messages_per_second"],
        "decision_p50_ms": report["latency_ms"]["p50"],
        "decision_p99_ms": report["latency_ms"]["p99"],
        "outbox_duplicates": report["outbox"]["duplicates"],
        "peak_rss_mb": report["peak_rss_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", choices=["sqlite", "redis"], required=True)
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args.store, args.messages, args.redis_url))))


if __name__ == "__main__":
    main()
