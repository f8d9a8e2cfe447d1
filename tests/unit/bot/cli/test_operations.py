"""The operator commands on the embedded store: dead letters, kill switch, bad configuration."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import load_settings
from bot.store.base import StoreSettings
from bot.store.sqlite import SqliteStore
from tests.conftest import make_message
from tests.paths import KB_SMALL


async def _dead_letter(path: Path) -> None:
    store = SqliteStore(path, StoreSettings(max_attempts=1))
    await store.open()
    try:
        await store.enqueue([make_message("broken")])
        claims = await store.claim("w1", 1)
        assert await store.fail(claims[0], "ValueError: bad payload")
    finally:
        await store.close()


async def _queued(path: Path) -> list[str]:
    store = SqliteStore(path)
    await store.open()
    try:
        return [c.message.key for c in await store.claim("check", 10)]
    finally:
        await store.close()


def test_dead_letters_list_and_requeue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    asyncio.run(_dead_letter(load_settings().sqlite_path))
    assert main(["dead-letters", "list"]) == 0
    assert "twitter:broken\tattempts=1" in capsys.readouterr().out
    assert main(["dead-letters", "requeue", "twitter:broken"]) == 0
    assert main(["dead-letters", "requeue", "twitter:broken"]) == 1
    assert asyncio.run(_queued(load_settings().sqlite_path)) == ["twitter:broken"]


def test_kill_switch_on_status_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    assert main(["kill-switch", "on", "--reason", "wrong answers", "--actor", "ana"]) == 0
    assert "ON (ana" in capsys.readouterr().out
    assert main(["kill-switch", "status"]) == 0
    assert "wrong answers" in capsys.readouterr().out
    assert main(["kill-switch", "off"]) == 0
    assert "kill switch: off" in capsys.readouterr().out


def test_bad_configuration_exits_2_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_PORT", "not-a-port")
    assert main(["kill-switch", "status"]) == 2
    assert "port" in capsys.readouterr().err


def test_bad_rules_file_stops_replay_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - name: x\n    action: shout\n")
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(make_message("a").model_dump_json() + "\n")
    monkeypatch.setenv("CENTINELA_RULES_FILE", str(rules))
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    assert main(["replay", str(traffic), "--json"]) == 2
    assert f"{rules}:2:" in capsys.readouterr().err


def test_missing_kb_folder_fails_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(make_message("a").model_dump_json() + "\n")
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    with pytest.raises(SystemExit) as stopped:
        main(["replay", str(traffic), "--kb", str(tmp_path / "no-kb")])
    assert stopped.value.code == 2
    assert "no such knowledge-base folder" in capsys.readouterr().err


def test_an_invalid_replay_line_names_its_number_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    traffic = tmp_path / "t.jsonl"
    good = make_message("a").model_dump(mode="json")
    bad = {**make_message("b").model_dump(mode="json"), "created_at": "yesterday"}
    traffic.write_text("\n".join(json.dumps(line) for line in (good, bad, good | {"id": "c"})) + "\n{oops\n")
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    assert main(["replay", str(traffic), "--json"]) == 0
    captured = capsys.readouterr()
    assert f"{traffic}:2: field created_at: Input should be a valid datetime" in captured.err
    assert f"{traffic}:4: not valid JSON" in captured.err
    report = json.loads(captured.out)
    assert report["messages"] == 2 and report["invalid_lines"] == 2
    # The KB model loads before the clock starts: the decisions' figures do not include it.
    assert report["warmup_s"] > 0
    assert report["latency_ms"]["p99"] < 1000 * report["warmup_s"]
    assert report["seconds"] < report["warmup_s"]
    assert report["peak_rss_mb"] > 0
    replays = tmp_path / "var" / "replays"
    assert not replays.exists() or list(replays.iterdir()) == []  # nothing left without --keep


def test_replay_keep_leaves_its_store_and_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    traffic = tmp_path / "t.jsonl"
    traffic.write_text(make_message("a").model_dump_json() + "\n")
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CENTINELA_READING_PROCESSES", "0")
    assert main(["replay", str(traffic), "--json", "--keep", "--kb", str(KB_SMALL)]) == 0
    kept = sorted(p.suffix for p in (tmp_path / "var" / "replays").iterdir())
    assert ".sqlite3" in kept and ".jsonl" in kept
