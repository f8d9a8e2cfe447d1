"""The capacity is the sustained slope of the decision count, warm-up left out."""

from __future__ import annotations

import pytest

from bench.capacity_estimate import sustained_rate


def test_a_steady_count_gives_its_rate() -> None:
    samples = [(t / 4, int(t / 4 * 200)) for t in range(41)]  # 200/s for 10 s, every 0.25 s
    assert sustained_rate(samples, warmup_s=2.0) == pytest.approx(200.0, rel=0.01)


def test_the_warm_up_is_left_out() -> None:
    slow = [(t / 4, int(t / 4 * 20)) for t in range(21)]  # 20/s for the first 5 s (100 decided)
    fast = [(5 + t / 4, 100 + int(t / 4 * 150)) for t in range(1, 41)]  # then 150/s
    assert sustained_rate(slow + fast, warmup_s=5.0) == pytest.approx(150.0, rel=0.01)
    assert sustained_rate(slow + fast, warmup_s=0.0) < 140.0, "without skipping, the start drags it"


def test_one_stalled_sample_moves_the_slope_little() -> None:
    samples = [(t / 4, int(t / 4 * 100)) for t in range(41)]
    samples[20] = (5.0, 300)  # one sample far below the line (500 expected)
    assert sustained_rate(samples, warmup_s=0.0) == pytest.approx(100.0, rel=0.05)


@pytest.mark.parametrize(
    ("samples", "warmup_s"),
    [([], 0.0), ([(0.0, 0)], 0.0), ([(0.0, 0), (1.0, 5)], 0.5), ([(3.0, 0), (3.0, 9)], 0.0)],
    ids=["none", "one", "one-after-warm-up", "same-instant"],
)
def test_no_rate_is_told_from_too_little(samples: list[tuple[float, int]], warmup_s: float) -> None:
    with pytest.raises(ValueError):
        sustained_rate(samples, warmup_s)
