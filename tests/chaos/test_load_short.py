"""The load generator's short run inside `make test`: what the intake acknowledged is queued.

Latency figures belong to `python -m bench.load` (a benchmark, not a test); here only the
counts: an intake-only replica (`CENTINELA_WORKERS=0`) answers every request and holds every
acknowledged message in its queue, and a working one decides every acknowledged message.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.chaos import traffic
from bench.load import phase


@pytest.mark.timeout(300)
async def test_every_acknowledged_message_is_queued_then_decided(tmp_path: Path) -> None:
    messages = traffic(400, random.Random(3))
    paused = await phase(tmp_path / "paused", 0, messages[:200], rate=100)
    assert set(paused["statuses"]) <= {"202", "503"}  # 503 is backpressure with Retry-After
    assert paused["queue_depth"] == paused["requests"] - paused["non_2xx"] > 0
    working = await phase(tmp_path / "working", 1, messages[200:], rate=100)
    assert set(working["statuses"]) <= {"202", "503"}
    assert working["decided"] == working["requests"] - working["non_2xx"] > 0
