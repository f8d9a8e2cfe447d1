"""The service's memory is summed over its process tree, helpers included."""

from __future__ import annotations

import subprocess
import sys

from bench.memory import tree_memory


def test_a_child_process_is_counted() -> None:
    alone = tree_memory()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; blob = bytearray(60 * 2**20); sys.stdin.read()"],
        stdin=subprocess.PIPE,
    )
    try:
        # Wait until the child has its 60 MB block.
        for _ in range(200):
            with_child = tree_memory()
            if with_child.processes == alone.processes + 1 and with_child.rss_mb > alone.rss_mb + 60:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert with_child.processes == alone.processes + 1
        assert with_child.rss_mb > alone.rss_mb + 60
        assert 0 < with_child.pss_mb <= with_child.rss_mb
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait()
