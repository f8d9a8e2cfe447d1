"""How long the Discourse and e-mail adapters take to translate what their platforms deliver.

Both translations run on the request path (the webhook handler) or the poller, before the
intake: this says how much of the budget they take. CPU time (`thread_time`) is reported beside
wall time, since this shared machine's load moves the wall figure a lot.

Run as `python -m bench.adapter_translation [--mails DIR] [--deliveries FILE]`; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.registry import ADAPTERS
from bot.cli.replay_adapter import REPLAY_PLACEHOLDERS

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _rate(items: list[Any], translate: Callable[[Any], object], rounds: int) -> dict[str, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(rounds):
        for item in items:
            translate(item)
    n = len(items) * rounds
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    return {"items": n, "per_s": round(n / wall, 1), "us_each": round(wall / n * 1e6, 1),
            "cpu_us_each": round(cpu / n * 1e6, 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=Path, default=DATA / "email")
    parser.add_argument(
        "--deliveries", type=Path, default=DATA / "webhooks" / "discourse" / "deliveries.jsonl"
    )
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args(argv)
    mails = [p.read_bytes() for p in sorted(args.mails.glob("*.eml"))]
    lines = [json.loads(line) for line in args.deliveries.read_text(encoding="utf-8").splitlines() if line]
    email = ADAPTERS["email"].from_config(REPLAY_PLACEHOLDERS["email"])
    discourse = ADAPTERS["discourse"].from_config(REPLAY_PLACEHOLDERS["discourse"])
    report = {
        "email_translate": _rate(mails, lambda m: email.translate(m, {}), args.rounds),
        "discourse_translate": _rate(
            lines, lambda line: discourse.translate(line["body"], line["headers"]), args.rounds * 10
        ),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
