"""`centinela replay FILE --adapter NAME`: recorded platform payloads through the adapter's translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.registry import ADAPTERS
from bot.cli.main import main
from bot.cli.replay_adapter import REPLAY_PLACEHOLDERS, translate_lines
from tests.paths import KB_SMALL, TEST_DATA

DELIVERIES = TEST_DATA / "webhooks" / "discourse" / "deliveries.jsonl"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the module's replays, so the KB is embedded once."""
    return tmp_path_factory.mktemp("var")


def replay(
    path: Path,
    adapter: str,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, object]:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(data_dir))
    assert main(["replay", str(path), "--adapter", adapter, "--json", "--kb", str(KB_SMALL)]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    report: dict[str, object] = json.loads(out)
    return report


def test_lines_with_and_without_headers_and_bad_lines() -> None:
    adapter = ADAPTERS["discourse"].from_config(REPLAY_PLACEHOLDERS["discourse"])
    body = {"post": {"id": 1, "topic_id": 3, "post_number": 2, "username": "ana", "raw": "hola",
                     "created_at": "2026-05-20T09:15:00Z", "updated_at": "2026-05-20T09:15:00Z"}}  # fmt: skip
    lines = [
        json.dumps({"headers": {"X-Discourse-Event": "post_created"}, "body": body}),
        json.dumps(body),
        json.dumps({"headers": {"X-Discourse-Event": "post_edited"}, "body": body}),
        "{not json",
        "",
    ]
    messages, skipped = translate_lines(adapter, lines)
    assert [m.id for m in messages] == ["t3-p2"]  # the same post twice: a repeat in the file
    assert skipped == {"post_edited": 1, "invalid_json": 1, "duplicate": 1}


def test_discourse_deliveries_replay_to_one_decision_per_question(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in {"BASE_URL": "http://discourse.invalid", "WEBHOOK_SECRET": "s", "API_KEY": "k",
                       "ROBOT_USERNAME": "aurora-bot", "OFFICIAL_USERNAME": "aurora"}.items():  # fmt: skip
        monkeypatch.setenv(f"CENTINELA_DISCOURSE__{key}", value)
    report = replay(DELIVERIES, "discourse", data_dir, monkeypatch, capsys)
    assert report["skipped"] == {
        "post_edited": 1, "staff_post": 1, "own_post": 1, "ping": 1,
        "unsupported_event:user_created": 1, "private_message": 1,
        "topic_created_awaits_post": 1, "duplicate": 1,  # t41-p1: a retry of its post_created
    }  # fmt: skip
    actions = report["actions"]
    assert isinstance(actions, dict) and sum(actions.values()) == 2  # t41-p1 (three deliveries) and t42-p1
    assert report["dead_letters"] == 0


def test_shared_discourse_payloads_replay_without_error(
    shared_dir: Path, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    files = sorted((shared_dir / "data" / "webhooks" / "discourse").glob("*.json"))
    assert files
    lines = tmp_path / "recorded.jsonl"
    lines.write_text("".join(json.dumps(json.loads(f.read_text())) + "\n" for f in files))
    report = replay(lines, "discourse", data_dir, monkeypatch, capsys)
    skipped, messages = report["skipped"], report["messages"]
    assert isinstance(skipped, dict) and isinstance(messages, int)
    assert messages + sum(skipped.values()) == len(files)


def test_email_fixtures_replay_with_automated_mail_skipped(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mails = sorted((TEST_DATA / "email").glob("*.eml"))
    lines = tmp_path / "mail.jsonl"
    lines.write_text(
        "".join(json.dumps({"raw": m.read_bytes().decode("utf-8", "surrogateescape")}) + "\n" for m in mails)
    )
    report = replay(lines, "email", data_dir, monkeypatch, capsys)
    assert report["skipped"] == {"auto_reply": 1, "delivery_report": 1}
    assert report["messages"] == len(mails) - 2 and report["dead_letters"] == 0


def test_unknown_adapter_is_a_readable_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    assert main(["replay", str(DELIVERIES), "--adapter", "myspace"]) == 2
    assert "unknown adapter 'myspace'" in capsys.readouterr().err
