"""CPU is summed over the process tree, from the mark on: a busy child counts, start-up does not."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.cpu import TreeCpu, process_cpu_s

BUSY = "\n".join(
    [
        "import sys, time",
        "end = time.process_time() + 0.6",
        "while time.process_time() < end: pass",
        "sys.stdin.read()",
    ]
)


def test_a_busy_child_is_counted_and_work_before_the_mark_is_not() -> None:
    with TreeCpu(interval_s=0.05) as cpu:
        before = process_cpu_s(os.getpid())
        spin = sum(i * i for i in range(200_000))  # this process works before the window
        assert spin > 0 and (process_cpu_s(os.getpid()) or 0) >= (before or 0)
        cpu.mark()
        child = subprocess.Popen([sys.executable, "-c", BUSY], stdin=subprocess.PIPE)
        try:
            for _ in range(400):  # until the child has spun its 0.6 s of CPU
                used = process_cpu_s(child.pid)
                if used is not None and used >= 0.6:
                    break
                subprocess.run(["sleep", "0.05"], check=True)
            subprocess.run(["sleep", "0.2"], check=True)  # a sample after it
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait()
    assert cpu.seconds >= 0.6, "the child's work, from its start: it began after the mark"
    assert cpu.seconds < 5.0


def test_nothing_is_counted_before_the_mark() -> None:
    with TreeCpu(interval_s=0.02) as cpu:
        sum(i * i for i in range(300_000))
    assert cpu.seconds == 0


class _Sampler:
    """A stand-in for a benchmark sampler: it says how much CPU its thread has spent."""

    sampler_cpu_s = 0.0


def test_the_samplers_cpu_within_the_window_is_taken_out() -> None:
    sampler = _Sampler()
    sampler.sampler_cpu_s = 5.0  # spent before the window: not taken out
    with TreeCpu(interval_s=0.02, instruments=[sampler]) as cpu:
        cpu.mark()
        end = time.process_time() + 0.5
        while time.process_time() < end:  # this process works 0.5 s within the window...
            pass
        sampler.sampler_cpu_s = 5.3  # ...0.3 s of it, say, on a sampler's thread
        subprocess.run(["sleep", "0.1"], check=True)  # a sample after it
    assert cpu.sampler_seconds >= 0.3
    assert 0.15 <= cpu.seconds <= 0.5, "the 0.5 s of work less the sampler's 0.3 s (and its own)"
