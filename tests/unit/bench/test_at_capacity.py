"""The load is offered at the asked fraction of the capacity measured just before it, on its path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import at_capacity
from bench.run import headline


def test_the_offered_rate_is_the_fraction_of_the_measured_capacity(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, tuple[str, ...]]] = []

    def fake(name: str, *args: str) -> dict[str, Any]:
        calls.append((name, args))
        if name == "bench.pipeline":
            return {"pipeline_msgs_per_s": 320.0}
        if name == "bench.webhook_capacity":
            return {"webhook_capacity_msgs_per_s": 240.0}
        return {
            "decision_p50_ms": 2.0, "decision_p99_ms": 41.0, "answer_end_to_end_p99_ms": 90.0,
            "queue_depth_max": 70, "queue_depth_at_end_of_offer": 12,
        }  # fmt: skip

    monkeypatch.setattr(at_capacity, "run_module", fake)
    result = at_capacity.measure(Path("traffic.jsonl"), Path("kb"), 0.75, 30.0)
    assert [name for name, _ in calls] == ["bench.pipeline", "bench.webhook_capacity", "bench.answer_e2e"]
    capacity_args, load_args = calls[1][1], calls[2][1]
    assert capacity_args[capacity_args.index("--messages") + 1] == "traffic.jsonl", "the same texts"
    assert load_args[load_args.index("--rate") + 1] == "180.0"
    assert load_args[load_args.index("--messages") + 1] == "traffic.jsonl", "the same texts"
    assert result["offered_msgs_per_s"] == 180.0, "75 % of the webhook's capacity, not the backlog's"
    assert result["capacity_msgs_per_s"] == 240.0 and result["backlog_capacity_msgs_per_s"] == 320.0
    assert result["decision_p99_ms"] == 41.0 and result["queue_depth_at_end_of_offer"] == 12
    top = headline({"at_capacity": result})
    assert top["with_model_at_capacity"]["decision_p99_ms"] == 41.0
    assert top["with_model_at_capacity"]["answer_end_to_end_p99_ms"] == 90.0
    assert top["with_model_at_capacity"]["queue_depth_max"] == 70


def test_a_failed_capacity_run_offers_no_load(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake(name: str, *_args: str) -> dict[str, Any]:
        calls.append(name)
        return {"error": "boom"}

    monkeypatch.setattr(at_capacity, "run_module", fake)
    assert "error" in at_capacity.measure(Path("t"), Path("kb"), 0.75, 30.0)
    assert calls == ["bench.pipeline", "bench.webhook_capacity"], "no load offered"
