"""How many CPUs this process may really use, for sizing the reading helpers.

Why not `os.cpu_count()`: in a container it reports the host's CPUs, not the container's share.
A quota of two CPUs on a 64-core host must give one helper, not 63 (each helper holds its own
language models, about 110 MB). So the count is the smallest of the CPU affinity and the cgroup
CPU quota (v2 `cpu.max`, or v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`), rounded up. Several
replicas on one machine split it (`replicas_per_host`): two replicas on two cores each get one
helper, not one each on top of a worker that already has its core.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# More helpers than this do not help: the worker process is the other half of the pipeline.
MAX_READING_HELPERS = 4


def quota_cpus(root: Path = CGROUP_ROOT) -> float | None:
    """The cgroup CPU quota in CPUs, or None when there is none (or no cgroup to read)."""
    try:
        v2 = (root / "cpu.max").read_text().split()
        if v2 and v2[0] != "max":
            return int(v2[0]) / int(v2[1])
        if v2:
            return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def usable_cpus(root: Path = CGROUP_ROOT) -> int:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    quota = quota_cpus(root)
    return max(1, min(affinity, math.ceil(quota))) if quota is not None else max(1, affinity)


def default_reading_helpers(replicas: int = 1, cpus: int | None = None) -> int:
    """Helpers for one of `replicas` replicas sharing `cpus` (default: this process's usable CPUs).

    Each replica's share is `cpus // replicas`: one CPU of it for the worker process, the rest
    (up to a few) for helpers; one CPU alone has none. A share of one CPU of several (two
    replicas on two cores) still gets one helper: with the KB model on,
    the helper embeds each claimed batch in one call, and the worker alone would embed one
    message at a time; the scheduler then spreads the replicas' processes over the CPUs. With
    more replicas than CPUs, none: each helper holds its own models, and there is no core for it.
    """
    total = usable_cpus() if cpus is None else cpus
    share = total // max(1, replicas)
    if share == 1 and total > 1:
        return 1
    return max(0, min(share - 1, MAX_READING_HELPERS))
