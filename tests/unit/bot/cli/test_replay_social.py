"""`centinela replay FILE --adapter NAME`: recorded platform payloads through the adapter's translation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.replay_adapter import adapter_for_replay, translate_lines
from bot.config import ConfigError, load_settings
from tests.paths import KB_SMALL, TEST_DATA

RECORDED = TEST_DATA / "webhooks"


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_whatsapp_lines_give_messages_skips_and_drop_repeats() -> None:
    adapter = adapter_for_replay(load_settings(), "whatsapp")
    messages, skipped = translate_lines(
        adapter, [*_lines(RECORDED / "whatsapp" / "messages_and_statuses.jsonl"), "{oops", ""]
    )
    assert [m.text for m in messages] == [
        "¿Cómo reinicio el router?",
        "[image] Así está la luz",
        "Sí, funciona",
    ]
    assert {m.channel for m in messages} == {"whatsapp"}
    assert messages[2].in_reply_to == "wamid.OUT000001"
    assert skipped == {
        "reaction": 1,
        "status": 2,
        "duplicate": 1,
        "message_template_status_update": 1,
        "invalid_json": 1,
    }


def test_facebook_view_skips_other_products_and_own_page() -> None:
    facebook = adapter_for_replay(load_settings(), "facebook")
    lines = [
        *_lines(RECORDED / "facebook" / "page_feed_and_messenger.jsonl"),
        *_lines(RECORDED / "instagram" / "comments_and_dms.jsonl"),
    ]
    messages, skipped = translate_lines(facebook, lines)
    assert [(m.channel, m.id) for m in messages] == [
        ("facebook", "777_1001"),
        ("messenger", "m_AbC123"),
        ("messenger", "m_AbC125"),
    ]
    assert messages[0].in_reply_to == "101000000000001_777" and messages[0].author.name == "Ana Gil"
    assert messages[2].text == "[image]"
    assert skipped["own_page"] == 1 and skipped["echo"] == 1 and skipped["object_instagram"] == 2
    assert skipped["feed_reaction_add"] == 1 and skipped["feed_comment_edited"] == 1
    assert skipped["delivery"] == 1 and skipped["read"] == 1 and skipped["object_user"] == 1


def test_headers_wrapped_lines_are_unwrapped() -> None:
    body = json.loads(_lines(RECORDED / "instagram" / "comments_and_dms.jsonl")[0])
    line = json.dumps({"headers": {"X-Hub-Signature-256": "sha256=not-checked"}, "body": body})
    messages, _ = translate_lines(adapter_for_replay(load_settings(), "instagram"), [line])
    assert [(m.channel, m.author.handle) for m in messages] == [("instagram", "@ana.ig")]


def test_unknown_adapter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="known: "):
        adapter_for_replay(load_settings(), "myspace")


def _replay(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lines: list[str],
    adapter: str,
) -> dict[str, object]:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    source = tmp_path / f"{adapter}.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert (
        main(
            [
                "--log-level",
                "WARNING",
                "replay",
                str(source),
                "--adapter",
                adapter,
                "--json",
                "--kb",
                str(KB_SMALL),
            ]
        )
        == 0
    )
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_recorded_x_mentions_page_replays(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = (
        shared_dir
        / "data"
        / "webhooks"
        / "twitter_x_api_v2"
        / "tweepy_cassettes"
        / "test_client_get_users_mentions.json"
    )
    pages = [json.dumps(record["body"]) for record in json.loads(cassette.read_text(encoding="utf-8"))]
    report = _replay(tmp_path, monkeypatch, capsys, pages, "x")
    assert report["messages"] == 10 and report["dead_letters"] == 0 and report["skipped"] == {}
    assert sum(report["actions"].values()) == 10  # type: ignore[attr-defined]


def test_recorded_whatsapp_updates_replay(
    shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shared_dir / "data" / "webhooks" / "whatsapp_cloud_api" / "pywa_updates"
    bodies = [
        json.dumps(body)
        for path in sorted(folder.glob("*.json"))
        for body in json.loads(path.read_text(encoding="utf-8")).values()
    ]
    report = _replay(tmp_path, monkeypatch, capsys, bodies, "whatsapp")
    skipped = report["skipped"]
    assert isinstance(skipped, dict)
    assert (
        skipped["status"] == 7
        and skipped["reaction"] == 3
        and skipped["edited"] == 1
        and skipped["deleted"] == 1
    )
    assert report["dead_letters"] == 0 and report["messages"] == sum(report["actions"].values())  # type: ignore[attr-defined]
    assert isinstance(report["messages"], int) and report["messages"] >= 5
