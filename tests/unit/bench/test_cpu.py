"""CPU is summed over the process tree, from the mark on: a busy child counts, start-up does not."""

from __future__ import annotations

import os
import subprocess
import sys

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
