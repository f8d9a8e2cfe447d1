"""Consumer names differ between processes, so replicas never take each other's claims."""

from __future__ import annotations

import subprocess
import sys

from bot.engine.runtime import replica_name


def _name_in_a_new_process() -> str:
    code = "from bot.engine.runtime import replica_name; print(replica_name())"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_each_process_has_its_own_consumer_names() -> None:
    first, second = _name_in_a_new_process(), _name_in_a_new_process()
    assert first != second
    assert replica_name() not in (first, second)
    assert replica_name() == replica_name()  # stable within one process
