"""The headline figures of `centinela bench --json` are lifted from the detailed results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.run import headline, median_run, median_share


def test_headline_lifts_the_figures_the_issues_name() -> None:
    detailed = {
        "pipeline_sqlite": {
            "pipeline_msgs_per_s": 900.0,
            "decision_p99_ms": 7.0,
            "peak_tree_rss_mb": 260.0,
            "peak_tree_pss_mb": 240.0,
        },
        "pipeline_redis": {"pipeline_msgs_per_s": 700.0, "decision_p99_ms": 5.0, "peak_tree_rss_mb": 270.0},
        "kb": {"embed_sentences_per_s": 1200.0, "kb_search_ms": {"1k": {"p50": 0.05, "p99": 0.09}}},
        "answer_e2e": {"answer_end_to_end_p99_ms": 60.0, "service_rss_mb": 320.0},
        "calibration": {"machine_reading_us_per_msg": 350.0},
    }
    top = headline(detailed)
    assert top["machine_reading_us_per_msg"] == 350.0
    assert top["pipeline_msgs_per_s"] == {"sqlite": 900.0, "redis": 700.0}
    assert top["decision_p99_ms"] == {"sqlite": 7.0, "redis": 5.0}
    # Memory is the whole service: the worker process and its reading helpers.
    assert top["service_rss_mb_without_model"] == {"sqlite": 260.0, "redis": 270.0}
    assert top["service_pss_mb_without_model"] == {"sqlite": 240.0, "redis": None}
    assert top["kb_search_p50_ms"] == {"1k": 0.05} and top["kb_search_p99_ms"] == {"1k": 0.09}
    assert top["answer_end_to_end_p99_ms"] == 60.0 and top["service_rss_mb_with_model"] == 320.0


def test_a_failed_benchmark_leaves_its_headline_out() -> None:
    assert headline({"kb": {"error": "no model"}, "answer_e2e": {"error": "x"}}) == {}


def test_the_pipeline_headline_is_the_median_run() -> None:
    runs: list[dict[str, Any]] = [
        {"pipeline_msgs_per_s": 2100.0, "decision_p99_ms": 3.0},
        {"error": "crashed"},
        {"pipeline_msgs_per_s": 1700.0, "decision_p99_ms": 9.0},
        {"pipeline_msgs_per_s": 1900.0, "decision_p99_ms": 5.0},
    ]
    chosen = median_run(runs)
    assert chosen["pipeline_msgs_per_s"] == 1900.0 and chosen["decision_p99_ms"] == 5.0
    assert chosen["runs_msgs_per_s"] == [1700.0, 1900.0, 2100.0] and chosen["runs"] == 4
    assert median_run([{"error": "x"}]) == {"error": "x"}


def test_with_the_model_each_run_is_a_share_of_the_limit_measured_beside_it() -> None:
    runs: list[dict[str, Any]] = [
        {
            "pipeline_msgs_per_s": 150.0,
            "share_of_limit": 0.9,
            "decision_p99_ms": 30.0,
            "peak_tree_rss_mb": 590,
        },
        {"pipeline_msgs_per_s": 120.0, "share_of_limit": 0.8, "decision_p99_ms": 40.0},
        {"pipeline_msgs_per_s": 100.0, "share_of_limit": 0.95, "decision_p99_ms": 50.0},
    ]
    chosen = median_share(runs)
    assert chosen["pipeline_msgs_per_s"] == 120.0, "the median throughput run"
    assert chosen["runs_share_of_limit"] == [0.8, 0.9, 0.95] and chosen["median_share_of_limit"] == 0.9
    top = headline({"model_sqlite": chosen, "pipeline_sqlite": {"pipeline_msgs_per_s": 2000.0}})
    assert top["with_model_msgs_per_s"] == {"sqlite": 120.0}
    assert top["with_model_share_of_encoder_limit"] == {"sqlite": 0.9}
    assert top["with_model_decision_p99_ms"] == {"sqlite": 40.0}
    assert top["pipeline_msgs_per_s"] == {"sqlite": 2000.0}, "the no-model figure stays, as a second line"


def test_with_the_model_the_cpu_share_is_the_encoders_cpu_per_text_over_the_pipelines_per_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import run as bench_run

    answers = {
        "bench.encoder_limit": {"limit_msgs_per_s": 200.0, "cpu_ms_per_text": 1.8},
        "bench.pipeline": {"pipeline_msgs_per_s": 220.0, "cpu_ms_per_msg": 3.6},
    }
    monkeypatch.setattr(bench_run, "run_module", lambda name, *_args: dict(answers[name]))
    run = bench_run.model_run("sqlite", Path("traffic.jsonl"), ())
    assert run["share_of_limit"] == 1.1, "throughput under contention can read above the limit"
    assert run["cpu_share_of_encoder"] == 0.5, "what the work costs: half of it is the encoder's"
    chosen = median_share([run, {**run, "pipeline_msgs_per_s": 100.0, "cpu_share_of_encoder": 0.4}])
    assert chosen["runs_cpu_share_of_encoder"] == [0.4, 0.5]
    top = headline({"model_sqlite": chosen})
    assert top["with_model_cpu_share_of_encoder"] == {"sqlite": chosen["median_cpu_share_of_encoder"]}
