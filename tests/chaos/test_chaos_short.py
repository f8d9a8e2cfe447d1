"""The short chaos runs inside `make test`: 300 signed messages, SIGKILLs, poison, bad input.

The same code as `make chaos` (bench.chaos), smaller: the real `centinela serve` process with
its reading helper, killed at a random moment and the instant the recording grows (between a
send and its mark), restarted, drained. Once on the embedded default (SQLite), once on the
production configuration (a private Redis for the hot path and a private PostgreSQL for the
records), where Redis is killed and PostgreSQL crashed (immediate shutdown) during the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos import Run, chaos, shut_down


@pytest.mark.timeout(600)
async def test_short_chaos_run_loses_nothing_and_posts_nothing_twice(tmp_path: Path) -> None:
    run = Run(tmp_path, messages=300, kills=2, poison=2, bad_requests=30, seed=7, deadline_s=240)
    try:
        report = await chaos(run)
    finally:
        shut_down(run, "test teardown")
    assert report["kills"] == 2 and report["accepted"] == 300
    assert report["decided"] == 300 and report["lost_count"] == 0 and report["queue_left"] == 0
    assert report["dead_letters"] == ["webhook:poison-0", "webhook:poison-1"]
    assert report["duplicated_keys"] == [] and report["max_publications_per_key"] <= 1
    assert report["replies_lost"] == [] and report["replies_owed"] == report["replies_queued"] > 0
    assert report["outbox"].get("pending", 0) == 0
    assert report["bad_input_5xx"] == 0 and sum(report["bad_input_statuses"].values()) == 30
    assert report["ok"], report["broken"]


@pytest.mark.timeout(600)
async def test_short_chaos_run_on_redis_and_postgres_survives_both_backends_dying(tmp_path: Path) -> None:
    run = Run(
        tmp_path, store="redis", records="postgres", messages=300, kills=3, poison=2, bad_requests=30, seed=5
    )
    try:
        report = await chaos(run)
    finally:
        shut_down(run, "test teardown")
    assert [k["why"] for k in report["kill_log"]][0::2] == [
        "redis-server killed",
        "postgresql (immediate shutdown) killed",
    ]
    assert report["accepted"] == report["decided"] == 300 and report["lost_count"] == 0
    assert report["dead_letters"] == ["webhook:poison-0", "webhook:poison-1"]
    assert report["duplicated_keys"] == [] and report["replies_lost"] == []
    assert report["replies_owed"] == report["replies_queued"] > 0
    assert report["outbox"].get("pending", 0) == 0 and report["bad_input_5xx"] == 0
    assert report["ok"], report["broken"]
