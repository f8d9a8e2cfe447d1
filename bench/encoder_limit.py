"""The machine's limit for the KB encoder on this traffic: batched embedding on every core.

Why: with the model on, the encoder is most of a decision's CPU, and this shared machine's
speed moves by tens of percent within minutes. Measured right before a pipeline run, on the
same texts as the KB step embeds them (normalised, capped, identical texts once), this says
what the machine could do at best then; the pipeline figure is reported as a share of it.

`python -m bench.encoder_limit --messages FILE [--processes N]` prints one JSON line:
`limit_msgs_per_s` (N processes, each embedding its share of the texts in one call; wall time
from a common start once every model is loaded), `one_core_msgs_per_s` (the best process's
own rate) and `cpu_ms_per_text` (CPU the encoder spent per text: what the load cannot move).
Each process loads the model itself, as a reading helper does.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.traffic import read_messages
from bot.reading.normalise import normalise_text


def _worker(messages: Path, part: int, parts: int) -> None:
    from retrieval.embedders import UsemEmbedder
    from retrieval.query_embedding import QueryEmbedder

    items, _bad = read_messages(messages)
    texts = [normalise_text(item.message.text) for item in items][part::parts]
    embedder = QueryEmbedder(UsemEmbedder())
    embedder.embed_texts(["warm-up"])
    print("ready", flush=True)
    sys.stdin.readline()  # every process starts embedding together, once all are loaded
    started, cpu = time.perf_counter(), time.process_time()
    embedder.embed_texts(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"texts": len(texts), "seconds": seconds, "cpu_s": cpu, "end": time.time()}))


def measure(messages: Path, processes: int) -> dict[str, object]:
    args = [sys.executable, "-m", "bench.encoder_limit", "--messages", str(messages), "--part"]
    children = [
        subprocess.Popen(
            [*args, f"{i}/{processes}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for i in range(processes)
    ]
    for child in children:
        assert child.stdout is not None
        child.stdout.readline()  # "ready": its model is loaded
    start_at = time.time()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
    texts = sum(int(r["texts"]) for r in results)
    wall = max(float(r["end"]) for r in results) - start_at
    return {
        "encoder_processes": processes,
        "limit_msgs_per_s": round(texts / wall, 1),
        "one_core_msgs_per_s": round(max(r["texts"] / r["seconds"] for r in results), 1),
        "limit_texts": texts,
        # what one text costs the encoder alone, whatever share of the cores the run got
        "cpu_ms_per_text": round(sum(float(r["cpu_s"]) for r in results) / texts * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        part, parts = (int(x) for x in args.part.split("/"))
        _worker(args.messages, part, parts)
        return
    print(json.dumps(measure(args.messages, args.processes)))


if __name__ == "__main__":
    main()
