"""`centinela bench`: every benchmark the README quotes, each in its own process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.config import SAMPLES_DIR, Settings

SHARED_TRAFFIC = Path("../shared/data/traffic.jsonl")
SHARED_KB = Path("../shared/eval/kb")


def _traffic(messages: Path | None) -> Path:
    if messages is not None:
        return messages
    return SHARED_TRAFFIC if SHARED_TRAFFIC.exists() else SAMPLES_DIR / "traffic.jsonl"


def run_module(name: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", name, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# Runs of the pipeline benchmark per store. One run on a shared machine is a lottery (its speed
# moves by tens of percent from minute to minute): the headline is the median run, with the range.
PIPELINE_RUNS = 3


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput, plus every run's figure and the range."""
    good = sorted((r for r in runs if "pipeline_msgs_per_s" in r), key=lambda r: r["pipeline_msgs_per_s"])
    if not good:
        return runs[0] if runs else {"error": "no run"}
    figures = [r["pipeline_msgs_per_s"] for r in good]
    return {**good[len(good) // 2], "runs_msgs_per_s": figures, "runs": len(runs)}


def _kb() -> Path:
    return SHARED_KB if SHARED_KB.is_dir() else SAMPLES_DIR / "kb"


def model_run(store: str, traffic: Path, args: tuple[str, ...]) -> dict[str, Any]:
    """One pipeline run with the model on, right after the machine's encoder limit is measured.

    The limit (`bench.encoder_limit`: the same texts embedded in batches on every core) moves
    with this shared machine's load as much as the pipeline does; taken just before, the
    pipeline's share of it is the figure that holds from one hour to the next.
    """
    limit = run_module("bench.encoder_limit", "--messages", str(traffic))
    run = run_module("bench.pipeline", "--store", store, *args, "--kb", str(_kb()))
    if "pipeline_msgs_per_s" in run and "limit_msgs_per_s" in limit:
        run["encoder_limit"] = limit
        run["share_of_limit"] = round(run["pipeline_msgs_per_s"] / limit["limit_msgs_per_s"], 3)
    if run.get("cpu_ms_per_msg") and "cpu_ms_per_text" in limit:
        # The same ratio in CPU per message: what the share would be on idle cores, every core
        # busy. Under contention the throughput share can read higher (see bench/cpu.py).
        run["cpu_share_of_encoder"] = round(limit["cpu_ms_per_text"] / run["cpu_ms_per_msg"], 3)
    return run


def median_share(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by throughput (as `median_run`), with every run's share of the limit."""
    chosen = median_run(runs)
    shares = sorted(r["share_of_limit"] for r in runs if "share_of_limit" in r)
    if shares:
        chosen["runs_share_of_limit"] = shares
        chosen["median_share_of_limit"] = shares[len(shares) // 2]
    cpu_shares = sorted(r["cpu_share_of_encoder"] for r in runs if "cpu_share_of_encoder" in r)
    if cpu_shares:
        chosen["runs_cpu_share_of_encoder"] = cpu_shares
        chosen["median_cpu_share_of_encoder"] = cpu_shares[len(cpu_shares) // 2]
    return chosen


def run_benchmarks(
    settings: Settings, messages: Path | None, *, only: set[str] | None = None
) -> dict[str, Any]:
    traffic = _traffic(messages)
    results: dict[str, Any] = {"traffic": str(traffic)}
    if only is None or "pipeline" in only:
        results["calibration"] = run_module("bench.calibrate", "--messages", str(traffic))
        redis_url = settings.redis_url or "redis://127.0.0.1:6379/14"
        database_url = settings.database_url or "postgresql://postgres@127.0.0.1:5432/test"
        if not database_url.startswith("postgres"):
            database_url = "postgresql://postgres@127.0.0.1:5432/test"
        args = ("--messages", str(traffic), "--redis-url", redis_url, "--database-url", database_url)
        for store in ("sqlite", "postgres+redis"):
            if only is None or "model" in only:
                model_runs = [model_run(store, traffic, args) for _ in range(PIPELINE_RUNS)]
                results[f"model_{store}"] = median_share(model_runs)
            runs = [run_module("bench.pipeline", "--store", store, *args) for _ in range(PIPELINE_RUNS)]
            results[f"pipeline_{store}"] = median_run(runs)
    if only is None or "at_capacity" in only:  # decision p99 at 75 % of the capacity measured then
        at = ("--messages", str(traffic), "--kb", str(_kb()))
        results["at_capacity"] = run_module("bench.at_capacity", *at)
    if only is None or "answer_e2e" in only:
        results["answer_e2e"] = run_module("bench.answer_e2e")
    if only is None or "kb" in only:
        results["kb"] = run_module("bench.kb_search")
    if only is None or "dashboard" in only:
        results["dashboard"] = run_module("bench.dashboard")
    results.update(headline(results))
    return results


def headline(results: dict[str, Any]) -> dict[str, Any]:
    """The figures the issues name, at the top level, lifted from the detailed results."""
    top: dict[str, Any] = {}
    speed = results.get("calibration", {}).get("machine_reading_us_per_msg")
    if speed is not None:
        top["machine_reading_us_per_msg"] = speed
    model = {k.removeprefix("model_"): v for k, v in results.items() if k.startswith("model_")}
    if model:
        top["with_model_msgs_per_s"] = {s: r.get("pipeline_msgs_per_s") for s, r in model.items()}
        top["with_model_share_of_encoder_limit"] = {
            s: r.get("median_share_of_limit") for s, r in model.items()
        }
        top["with_model_cpu_share_of_encoder"] = {
            s: r.get("median_cpu_share_of_encoder") for s, r in model.items()
        }
        top["with_model_decision_p99_ms"] = {s: r.get("decision_p99_ms") for s, r in model.items()}
        top["with_model_service_rss_mb"] = {s: r.get("peak_tree_rss_mb") for s, r in model.items()}
    loaded = results.get("at_capacity", {})
    if "decision_p99_ms" in loaded:
        top["with_model_at_capacity"] = {
            key: loaded.get(key)
            for key in (
                "capacity_msgs_per_s", "backlog_capacity_msgs_per_s", "fraction", "offered_msgs_per_s",
                "decision_p99_ms", "answer_end_to_end_p99_ms",
                "queue_depth_max", "queue_depth_at_end_of_offer",
            )
        }  # fmt: skip
    stores = {k.removeprefix("pipeline_"): v for k, v in results.items() if k.startswith("pipeline_")}
    if stores:
        top["pipeline_msgs_per_s"] = {s: r.get("pipeline_msgs_per_s") for s, r in stores.items()}
        top["decision_p99_ms"] = {s: r.get("decision_p99_ms") for s, r in stores.items()}
        top["service_rss_mb_without_model"] = {s: r.get("peak_tree_rss_mb") for s, r in stores.items()}
        top["service_pss_mb_without_model"] = {s: r.get("peak_tree_pss_mb") for s, r in stores.items()}
    kb = results.get("kb", {})
    if "kb_search_ms" in kb:
        top["embed_sentences_per_s"] = kb.get("embed_sentences_per_s")
        top["kb_search_p50_ms"] = {size: v["p50"] for size, v in kb["kb_search_ms"].items()}
        top["kb_search_p99_ms"] = {size: v["p99"] for size, v in kb["kb_search_ms"].items()}
    dashboard = results.get("dashboard", {})
    if "dashboard_page_ms" in dashboard:
        top["dashboard_page_ms"] = dashboard["dashboard_page_ms"]
        top["dashboard_stats_month_slowest_ms"] = dashboard["stats_month_slowest_ms"]
        top["dashboard_browser_ms"] = dashboard.get("browser")
    e2e = results.get("answer_e2e", {})
    if "answer_end_to_end_p99_ms" in e2e:
        top["answer_end_to_end_p99_ms"] = e2e["answer_end_to_end_p99_ms"]
        top["service_rss_mb_with_model"] = e2e.get("service_rss_mb")
        top["service_pss_mb_with_model"] = e2e.get("service_pss_mb")
    return top
