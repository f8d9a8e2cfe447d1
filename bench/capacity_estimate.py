"""Capacity from a series of decision counts: the pure arithmetic of `bench.webhook_capacity`.

Kept apart from the run so it can be tested on made-up series: the first seconds of a run
(connection set-up, the first claim batches, caches filling) are not the sustained rate, so they
are skipped and the rate is the least-squares slope of the cumulative count over the rest,
which a single slow or fast sample moves little.
"""

from __future__ import annotations

from collections.abc import Sequence


def sustained_rate(samples: Sequence[tuple[float, int]], warmup_s: float) -> float:
    """Decisions per second over `samples` ((seconds, cumulative decisions)) after `warmup_s`.

    Raises ValueError when fewer than two samples are left after the warm-up or they all share
    one instant: no rate can be told from that.
    """
    if not samples:
        raise ValueError("no samples")
    start = samples[0][0] + warmup_s
    kept = [(t, n) for t, n in samples if t >= start]
    if len(kept) < 2:
        raise ValueError(f"{len(kept)} sample(s) after a {warmup_s} s warm-up: need 2")
    mean_t = sum(t for t, _ in kept) / len(kept)
    mean_n = sum(n for _, n in kept) / len(kept)
    spread = sum((t - mean_t) ** 2 for t, _ in kept)
    if spread == 0:
        raise ValueError("every sample at the same instant")
    return sum((t - mean_t) * (n - mean_n) for t, n in kept) / spread
