"""How fast this machine is right now: the text reading, single-threaded, on the same traffic.

Why: on a shared machine the same code measures tens of percent apart from one hour to the
next. Reported beside the throughput, this figure says whether a run met a slow or a fast
machine (the pipeline's own code is not involved beyond the reading it repeats).

Run as `python -m bench.calibrate --messages FILE`; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bot.cli.traffic import read_messages
from bot.reading.text_reading import TextReader


def reading_us_per_message(messages_path: Path, passes: int = 3) -> float:
    items, _bad = read_messages(messages_path)
    texts = [(item.message.text, item.message.language) for item in items]
    reader = TextReader.for_languages(("es", "en", "pt"), "es")
    best = float("inf")
    for _ in range(passes):
        started = time.thread_time()
        for text, preferred in texts:
            reader.read(text, preferred)
        best = min(best, time.thread_time() - started)
    return round(best / max(len(texts), 1) * 1e6, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps({"machine_reading_us_per_msg": reading_us_per_message(args.messages)}))


if __name__ == "__main__":
    main()
