"""The short chaos run inside `make test`: 300 signed messages, two SIGKILLs, poison, bad input.

The same code as `make chaos` (bench.chaos), smaller: the real `centinela serve` process with
its reading helper, killed at a random moment and the instant the recording grows (between a
send and its mark), restarted, drained. Its length is the service's start-up three times.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import Run, chaos, kill_service


@pytest.mark.timeout(600)
async def test_short_chaos_run_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    run = Run(tmp_path, messages=300, kills=2, poison=2, bad_requests=30, seed=7, deadline_s=240)
    try:
        report = await chaos(run)
    finally:
        kill_service(run, "test teardown")
    assert report["kills"] == 2 and report["accepted"] == 300
    assert report["decided"] == 300 and report["lost_count"] == 0 and report["queue_left"] == 0
    assert report["dead_letters"] == ["webhook:poison-0", "webhook:poison-1"]
    assert report["duplicated_keys"] == [] and report["max_publications_per_key"] <= 1
    assert report["replies_lost"] == [] and report["replies_owed"] == report["replies_queued"] > 0
    assert report["outbox"].get("pending", 0) == 0
    assert report["bad_input_5xx"] == 0 and sum(report["bad_input_statuses"].values()) == 30
    assert report["ok"], report["broken"]
