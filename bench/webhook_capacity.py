"""Capacity of the webhook path: decisions per second, closed loop, through the signed webhook.

`python -m bench.webhook_capacity --messages FILE [--kb DIR] [--window 48] [--seconds 20]`
prints one JSON line. The same service and texts as `bench.answer_e2e` (its `serving`), but the
generator keeps at most `window` messages posted and not yet decided: it posts the next one as
soon as a decision is saved. So the queue (waiting + in flight) is bounded by `window` by
construction and the workers never starve, and the webhook's own work and the generator's are in
the figure, as they are when `bench.at_capacity` offers a fraction of it open loop. The capacity
is the sustained slope of the decision count after a warm-up (`bench.capacity_estimate`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from bench.answer_e2e import SHARED_KB, serving
from bench.capacity_estimate import sustained_rate
from bot.cli.malloc_arenas import limit_malloc_arenas
from bot.web.app import STORE

SAMPLE_EVERY_S = 0.25


async def _run(kb_dir: Path, messages: Path, window: int, seconds: float, warmup_s: float) -> dict[str, Any]:
    async with serving(kb_dir, messages) as service:
        store = service.app[STORE]
        samples: list[tuple[float, int]] = []
        depths: list[int] = []
        tasks: list[asyncio.Task[None]] = []
        started = time.perf_counter()
        next_sample = started
        posted = 0
        while (now := time.perf_counter()) < started + seconds:
            while posted - service.decided < window:
                tasks.append(service.post(posted))
                posted += 1
            if now >= next_sample:
                samples.append((now - started, service.decided))
                depths.append(await store.queue_depth())
                next_sample += SAMPLE_EVERY_S
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
    return {
        "webhook_capacity_msgs_per_s": round(sustained_rate(samples, warmup_s), 1),
        "window": window,
        "seconds": seconds,
        "warmup_s": warmup_s,
        "posted": posted,
        "decided": samples[-1][1] if samples else 0,
        "queue_depth_max": max(depths, default=0),
        "queue_depth_at_end": depths[-1] if depths else 0,
    }


def main() -> None:
    limit_malloc_arenas()  # as `centinela serve` does
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--kb", type=Path, default=SHARED_KB)
    parser.add_argument(
        "--window",
        type=int,
        default=48,
        help="most messages posted and not yet decided (below intake's 64 at once)",
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds left out of the rate")
    args = parser.parse_args()
    result = asyncio.run(_run(args.kb, args.messages, args.window, args.seconds, args.warmup))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
