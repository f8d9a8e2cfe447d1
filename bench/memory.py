"""Memory of the service's process tree: the worker process plus its reading helpers.

Why a tree: with `reading_processes` the service is several processes, and quoting only the
main one would hide the helpers. Two sums are kept: RSS (what `ps` shows per process; pages
shared between processes, such as the Python runtime and native libraries, are counted in each)
and PSS (each shared page split between the processes that map it: the honest total). Linux
`/proc` only; elsewhere both read 0.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TreeMemory:
    processes: int
    rss_mb: float
    pss_mb: float


def _children(pid: int) -> list[int]:
    """Live child processes: from the kernel's per-thread `children` lists (cheap), else a scan
    of `/proc` (a few milliseconds, which the sampler would steal from the service)."""
    tasks = Path(f"/proc/{pid}/task")
    try:
        lists = [task / "children" for task in tasks.iterdir()]
        if lists and lists[0].exists():
            return [int(child) for path in lists for child in path.read_text().split()]
    except OSError:
        return []
    return _scan_children(pid)


def _scan_children(pid: int) -> list[int]:
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _rss_pss_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def descendants(pid: int) -> list[int]:
    """The live descendants of `pid` (children, their children, ...)."""
    pending, seen = _children(pid), []
    while pending:
        current = pending.pop()
        seen.append(current)
        pending.extend(_children(current))
    return seen


def tree_memory(pid: int | None = None) -> TreeMemory:
    """RSS and PSS summed over `pid` (default: this process) and its live descendants."""
    root = pid or os.getpid()
    seen = [root, *descendants(root)]
    totals = [usage for usage in map(_rss_pss_kb, seen) if usage[0] > 0]  # zombies map nothing
    return TreeMemory(
        processes=len(totals),
        rss_mb=round(sum(r for r, _ in totals) / 1024, 1),
        pss_mb=round(sum(p for _, p in totals) / 1024, 1),
    )


class PeakTreeMemory:
    """Samples `tree_memory` on a thread until stopped; keeps the highest sums seen."""

    def __init__(self, interval_s: float = 0.5) -> None:
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-sampler", daemon=True)
        self.peak = TreeMemory(0, 0.0, 0.0)
        self.sampler_cpu_s = 0.0  # this sampler thread's own CPU so far (`bench.cpu` leaves it out)

    def __enter__(self) -> PeakTreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            now = tree_memory()
            self.peak = TreeMemory(
                max(self.peak.processes, now.processes),
                max(self.peak.rss_mb, now.rss_mb),
                max(self.peak.pss_mb, now.pss_mb),
            )
            self.sampler_cpu_s = time.thread_time()
            self._stop.wait(self._interval_s)
