"""Decision p99 at a fraction of capacity: capacity measured first on the same path, then offered.

`python -m bench.at_capacity --messages FILE [--kb DIR] [--fraction 0.75] [--seconds 30]`
prints one JSON line. The capacity is measured now (this shared machine's speed moves by tens of
percent within minutes, so a capacity quoted from another hour would not do) and on the path the
load then takes: `bench.webhook_capacity` posts the file's texts through the signed webhook closed
loop (at most a window of messages undecided, so the queue stays bounded) and takes the sustained
decisions per second. Then `bench.answer_e2e` posts the same texts at `fraction` of it, open loop
(one message every 1/rate seconds, whatever the service does), and reports the decision latency
(from when a worker takes the message up), the answer's end to end (from the POST to the reply in
the outbox) and the queue depth (max, and when the offer ended) that shows whether it kept up.
The backlog capacity (`bench.pipeline`, queue -> pipeline, no HTTP) stays in the JSON as
`backlog_capacity_msgs_per_s`: it leaves out the webhook's and the generator's work, so 75 % of
it was over what the webhook path sustains.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.run import SHARED_KB, run_module


def measure(messages: Path, kb: Path, fraction: float, seconds: float) -> dict[str, Any]:
    texts = ("--messages", str(messages), "--kb", str(kb))
    backlog = run_module("bench.pipeline", "--store", "sqlite", *texts)
    capacity = run_module("bench.webhook_capacity", *texts)
    if "webhook_capacity_msgs_per_s" not in capacity:
        return {"error": f"capacity run failed: {capacity.get('error')}", "backlog_run": backlog}
    rate = round(float(capacity["webhook_capacity_msgs_per_s"]) * fraction, 1)
    load = run_module("bench.answer_e2e", *texts, "--rate", str(rate), "--seconds", str(seconds))
    return {
        "capacity_msgs_per_s": capacity["webhook_capacity_msgs_per_s"],
        "capacity_path": "signed webhook, closed loop (bench.webhook_capacity)",
        "backlog_capacity_msgs_per_s": backlog.get("pipeline_msgs_per_s"),
        "fraction": fraction,
        "offered_msgs_per_s": rate,
        "decision_p50_ms": load.get("decision_p50_ms"),
        "decision_p99_ms": load.get("decision_p99_ms"),
        "answer_end_to_end_p99_ms": load.get("answer_end_to_end_p99_ms"),
        "queue_depth_max": load.get("queue_depth_max"),
        "queue_depth_at_end_of_offer": load.get("queue_depth_at_end_of_offer"),
        "capacity_run": capacity,
        "backlog_run": backlog,
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
