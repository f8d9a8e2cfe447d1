"""Per-call latency of language detection and signal reading on a JSONL message file.

Timing targets are benchmarks, not tests (CONVENTIONS.md): the pipeline budget is 2,000
messages/s on 2 cores, so detection should stay under ~0.2 ms and reading under ~0.3 ms per
message. When the file carries labels (`expect.lang`, `expect.sentiment`) or a `lang_hint`, the
accuracy is reported too, so one run gives both the speed and the quality side of a change.

Usage: `python -m bench.language path/to/messages.jsonl [--repeat 3]`
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bot.reading.language import LanguageDetector
from bot.reading.signals import LexiconSignalReader

_WARMUP = 20


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _percentiles(samples_us: list[float]) -> dict[str, float]:
    ordered = sorted(samples_us)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return {
        "median_us": round(statistics.median(ordered), 1),
        "p99_us": round(p99, 1),
        "max_us": round(ordered[-1], 1),
    }


def run_language_bench(
    messages_path: str | Path,
    *,
    languages: tuple[str, ...] = ("es", "en", "pt"),
    default: str = "es",
    repeat: int = 1,
) -> dict[str, Any]:
    """Time `LanguageDetector.detect` and `LexiconSignalReader.read` once per message per repeat.

    Returns per-call median/p99/max in microseconds, wall-clock (`detect`, `read`) and
    thread CPU time (`detect_cpu`, `read_cpu`: what the call costs, without the time the thread
    waited for a core on a busy machine), build times, and the accuracies the file
    allows (language against `expect.lang` or an in-set `lang_hint`; sentiment against
    `expect.sentiment`).
    """
    rows = _load(Path(messages_path))
    started = time.perf_counter()
    detector = LanguageDetector(languages, default=default)
    detector_build_s = time.perf_counter() - started
    started = time.perf_counter()
    reader = LexiconSignalReader(languages, default=default)
    reader_build_s = time.perf_counter() - started

    for row in rows[:_WARMUP]:
        reader.read(row.get("text", ""), detector.detect(row.get("text", "")).lang)

    detect_us: list[float] = []
    read_us: list[float] = []
    detect_cpu_us: list[float] = []
    read_cpu_us: list[float] = []
    lang_hits = lang_total = sentiment_hits = sentiment_total = 0
    methods: Counter[str] = Counter()
    for _ in range(max(1, repeat)):
        for row in rows:
            text = row.get("text") or ""
            c0, t0 = time.thread_time(), time.perf_counter()
            guess = detector.detect(text)
            c1, t1 = time.thread_time(), time.perf_counter()
            signals = reader.read(text, guess.lang)
            c2, t2 = time.thread_time(), time.perf_counter()
            detect_us.append((t1 - t0) * 1e6)
            read_us.append((t2 - t1) * 1e6)
            detect_cpu_us.append((c1 - c0) * 1e6)
            read_cpu_us.append((c2 - c1) * 1e6)
            methods[guess.method] += 1
            expect = row.get("expect") or {}
            gold_lang = expect.get("lang") or row.get("lang_hint")
            if gold_lang in languages:
                lang_total += 1
                lang_hits += guess.lang == gold_lang
            if expect.get("sentiment"):
                sentiment_total += 1
                sentiment_hits += signals.sentiment == expect["sentiment"]

    return {
        "messages": len(rows),
        "calls": len(detect_us),
        "detect": _percentiles(detect_us),
        "read": _percentiles(read_us),
        "detect_cpu": _percentiles(detect_cpu_us),
        "read_cpu": _percentiles(read_cpu_us),
        "detect_methods": dict(methods),
        "detector_build_s": round(detector_build_s, 2),
        "reader_build_s": round(reader_build_s, 2),
        "lang_accuracy": round(lang_hits / lang_total, 4) if lang_total else None,
        "lang_labelled": lang_total // max(1, repeat),
        "sentiment_accuracy": round(sentiment_hits / sentiment_total, 4) if sentiment_total else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("messages", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run_language_bench(args.messages, repeat=args.repeat), indent=2))


if __name__ == "__main__":
    main()
