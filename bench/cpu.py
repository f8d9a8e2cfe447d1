"""CPU seconds of the service's process tree (worker plus reading helpers) over a timed window.

Why CPU and not only throughput: on this shared machine the share of the cores a run gets moves
with other work, and a run with more runnable threads than its yardstick gets more of them under
contention. CPU seconds per message are what the work costs whatever the load; set beside the
encoder's own CPU per text (`bench.encoder_limit`), their ratio is the share of the encoder limit
the pipeline could reach on idle cores with every core busy (it pays for reading and deciding
too). Linux `/proc` only; elsewhere the figures read 0.

The benchmark's own samplers (this one and `bench.memory`'s, threads of the worker process) are
not the service: their CPU within the window is measured on their threads and taken out
(`sampler_seconds`; 0.06-0.08 ms a message on `traffic.jsonl` with the model, about 2 % of it,
most of it `/proc/PID/smaps_rollup`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bench.memory import descendants

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class Instrument(Protocol):
    """A benchmark sampler running on a thread of this process: what its thread has spent so far."""

    @property
    def sampler_cpu_s(self) -> float: ...


def process_cpu_s(pid: int) -> float | None:
    """User + system seconds of `pid` so far (its threads included), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15 of stat)


class TreeCpu:
    """Samples the tree's per-process CPU on a thread; `mark()` starts the window, exit ends it.

    A helper exits before the tree is sampled at the end (the replay closes its helpers), so
    each process counts up to its last sample: at most `interval_s` of its work is missed. A
    process started after the mark (a restarted helper) counts from its start. The CPU of this
    sampler's thread and of the `instruments`' threads within the window is not counted.
    """

    def __init__(self, interval_s: float = 0.2, *, instruments: Sequence[Instrument] = ()) -> None:
        self._interval_s = interval_s
        self._instruments = [self, *instruments]
        self.sampler_cpu_s = 0.0  # this sampler thread's own CPU so far
        self._samplers_at_mark = 0.0
        self._samplers_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="cpu-sampler", daemon=True)
        self._lock = threading.Lock()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._marked = False

    def __enter__(self) -> TreeCpu:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()
        if self._marked:
            self._samplers_s = self._samplers_now() - self._samplers_at_mark

    def mark(self) -> None:
        """The window starts now: CPU spent before (start-up, model loading) is not counted."""
        with self._lock:
            self._marked = True
            self._first.clear()
            self._last.clear()
        self._samplers_at_mark = self._samplers_now()
        self._read(at_mark=True)

    @property
    def seconds(self) -> float:
        """CPU seconds of every process of the tree within the window, the samplers' taken out."""
        with self._lock:
            tree = sum(self._last[pid] - self._first[pid] for pid in self._last)
        return round(max(tree - self._samplers_s, 0.0), 3)

    @property
    def sampler_seconds(self) -> float:
        """CPU seconds the samplers' threads spent within the window (not in `seconds`)."""
        return round(self._samplers_s, 3)

    def _samplers_now(self) -> float:
        return sum(instrument.sampler_cpu_s for instrument in self._instruments)

    def _read(self, *, at_mark: bool = False) -> None:
        root = os.getpid()
        for pid in [root, *descendants(root)]:
            used = process_cpu_s(pid)
            if used is None:
                continue
            with self._lock:
                if not self._marked:
                    continue
                # A process that started after the mark spent all its CPU within the window.
                self._first.setdefault(pid, used if at_mark else 0.0)
                self._last[pid] = used

    def _sample(self) -> None:
        while not self._stop.wait(self._interval_s):
            self._read()
            self.sampler_cpu_s = time.thread_time()
