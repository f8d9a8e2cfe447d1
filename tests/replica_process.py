"""One service replica in a process of its own, for the two-replica test.

`python -m tests.replica_process NAME OUT_DIR REDIS_URL DATABASE_URL NAMESPACE`: runs the real
runtime (workers, pipeline, publisher) on the shared Redis hot path and PostgreSQL records,
publishing to a recording file of its own, and records every key it decided. Prints "ready"
once started; stops gracefully when its stdin closes.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.config import load_settings
from bot.core.models import Decision
from bot.engine.runtime import Runtime, build_pipeline
from bot.store.factory import build_store


async def main(name: str, out: Path, redis_url: str, database_url: str, namespace: str) -> None:
    settings = load_settings(
        data_dir=out / name,
        redis_url=redis_url,
        database_url=database_url,
        instance=name,
        reading_processes=0,
        workers=2,
        visibility_timeout_s=60,
    )
    store = build_store(settings, namespace=namespace)
    await store.open()
    decided: list[str] = []

    def on_decision(decision: Decision) -> None:
        decided.append(decision.message_key)

    recording = RecordingAdapter(RecordingConfig(path=out / f"{name}-published.jsonl"))
    runtime = Runtime(
        settings, store, build_pipeline(settings, store), {"*": recording}, on_decision=on_decision
    )
    await runtime.start()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes our stdin
    await runtime.stop()
    await store.close()
    (out / f"{name}-decided.txt").write_text("\n".join(decided) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]))
