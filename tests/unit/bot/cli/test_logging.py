"""The log: quiet at INFO for what is normal, and one JSON object per line when asked."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.cli.logs import JsonFormatter, configure_logging, log_format_from_env
from tests.paths import KB_SMALL
from tests.unit.bot.cli.test_cli_errors import run_cli


@dataclass
class Stats:
    articles: int
    seconds: float


def test_json_formatter_keeps_structured_fields() -> None:
    record = logging.LogRecord("bot.x", logging.WARNING, __file__, 1, "queue at %d", (7,), None)
    record.kb_stats = Stats(3, 0.5)
    record.channel = "twitter"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "WARNING" and entry["logger"] == "bot.x"
    assert entry["message"] == "queue at 7"
    assert entry["kb_stats"] == {"articles": 3, "seconds": 0.5}
    assert entry["channel"] == "twitter"
    assert entry["time"].endswith("+00:00")


def test_exceptions_stay_inside_the_one_object() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.y").exception("failed")
    finally:
        configure_logging("WARNING")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: boom" in json.loads(lines[0])["exception"]


@pytest.mark.parametrize(("value", "expected"), [("json", "json"), ("JSON", "json"), ("", "text")])
def test_log_format_from_env(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("CENTINELA_LOG_FORMAT", value)
    assert log_format_from_env() == expected


def test_faiss_loader_is_quiet_at_info() -> None:
    configure_logging("INFO")
    try:
        assert not logging.getLogger("faiss.loader").isEnabledFor(logging.INFO)
        assert not logging.getLogger("aiohttp.access").isEnabledFor(logging.INFO)
        assert logging.getLogger("bot").isEnabledFor(logging.INFO)
        configure_logging("DEBUG")  # asked for everything: the libraries speak again
        assert logging.getLogger("aiohttp.access").isEnabledFor(logging.INFO)
    finally:
        configure_logging("WARNING")


async def test_scheduled_runs_are_quiet_but_a_failing_job_is_logged() -> None:
    """A real APScheduler run: no "Running job" / "executed successfully" lines at INFO."""
    stream = io.StringIO()
    configure_logging("INFO", "text", stream)
    scheduler = AsyncIOScheduler()
    try:
        ran = asyncio.Event()

        async def fine() -> None:
            ran.set()

        async def broken() -> None:
            raise RuntimeError("sweep failed")

        scheduler.add_job(fine, id="fine")
        scheduler.add_job(broken, id="broken")
        scheduler.start()
        await asyncio.wait_for(ran.wait(), timeout=5)
        for _ in range(50):
            if "sweep failed" in stream.getvalue():
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
        configure_logging("WARNING")
    text = stream.getvalue()
    assert "sweep failed" in text and "ERROR" in text
    assert "Running job" not in text and "executed successfully" not in text


def test_kb_search_is_quiet_and_logs_json(tmp_path: Path) -> None:
    args = ["kb", "search", "reiniciar el router", "--kb", str(KB_SMALL), "-k", "1"]
    first = run_cli(args, tmp_path, {"CENTINELA_LOG_FORMAT": "json"})
    assert first.returncode == 0, first.stderr
    entries = [json.loads(line) for line in first.stderr.splitlines()]  # every line is one object
    built = [e for e in entries if e["message"].startswith("kb built from")]
    assert len(built) == 1 and built[0]["kb_stats"]["articles"] > 0
    assert not any("AVX2" in e["message"] or e["logger"].startswith("faiss") for e in entries)
    second = run_cli(args, tmp_path)
    assert second.returncode == 0
    assert second.stderr == ""  # the cache was reused: nothing worth saying at INFO
    assert "kb-router" in second.stdout
