"""Decision p99 at a fraction of capacity: capacity measured first, then offered open-loop.

`python -m bench.at_capacity --messages FILE [--kb DIR] [--fraction 0.75] [--seconds 30]`
prints one JSON line. First `bench.pipeline` with the model on decides the whole file as a
backlog: that throughput is the capacity now (this shared machine's speed moves by tens of
percent within minutes, so a capacity quoted from another hour would not do). Then
`bench.answer_e2e` posts the same file's texts through the signed webhook at `fraction` of it,
open loop (one message every 1/rate seconds, whatever the service does), and reports the
decision latency (from when a worker takes the message up) and the answer's end to end (from
the POST to the reply in the outbox). The webhook's own work comes on top of what the backlog
run measured, so the service is somewhat more loaded than `fraction` says.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.run import SHARED_KB, run_module


def measure(messages: Path, kb: Path, fraction: float, seconds: float) -> dict[str, Any]:
    capacity = run_module("bench.pipeline", "--store", "sqlite", "--messages", str(messages), "--kb", str(kb))
    if "pipeline_msgs_per_s" not in capacity:
        return {"error": f"capacity run failed: {capacity.get('error')}"}
    rate = round(float(capacity["pipeline_msgs_per_s"]) * fraction, 1)
    load = run_module(
        "bench.answer_e2e", "--kb", str(kb), "--messages", str(messages), "--rate", str(rate),
        "--seconds", str(seconds),
    )  # fmt: skip
    return {
        "capacity_msgs_per_s": capacity["pipeline_msgs_per_s"],
        "fraction": fraction,
        "offered_msgs_per_s": rate,
        "decision_p50_ms": load.get("decision_p50_ms"),
        "decision_p99_ms": load.get("decision_p99_ms"),
        "answer_end_to_end_p99_ms": load.get("answer_end_to_end_p99_ms"),
        "capacity_run": capacity,
        "load_run": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--kb", type=Path, default=SHARED_KB)
    parser.add_argument("--fraction", type=float, default=0.75)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    print(json.dumps(measure(args.messages, args.kb, args.fraction, args.seconds)))


if __name__ == "__main__":
    main()
