"""`centinela eval`: sentiment-only sets, `sentiment_by_lang`, and `--errors` in JSON and as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.eval_report import sentiment_by_lang
from bot.cli.main import main
from tests.paths import KB_SMALL


def test_sentiment_by_lang_accuracy_and_macro_f1() -> None:
    pairs = [
        ("en", "negative", "negative"),
        ("en", "negative", "neutral"),
        ("en", "positive", "positive"),
        ("en", "neutral", "neutral"),
        ("es", "negative", "negative"),
    ]
    got = sentiment_by_lang(pairs)
    # en: negative P=1 R=.5 F1=2/3; neutral P=.5 R=1 F1=2/3; positive F1=1 -> macro 7/9.
    assert got["en"] == {"accuracy": 0.75, "macro_f1": round(7 / 9, 3), "support": 4}
    assert got["es"] == {"accuracy": 1.0, "macro_f1": 1.0, "support": 1}


def line(msg_id: str, text: str, expect: dict[str, object], **author: object) -> str:
    who = {"handle": f"@{msg_id}", "name": "X", "followers": 10, "verified": False, **author}
    return json.dumps(
        {
            "id": msg_id,
            "channel": "twitter",
            "created_at": "2026-05-20T09:15:00Z",
            "author": who,
            "text": text,
            "expect": expect,
        },
        ensure_ascii=False,
    )


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    path = tmp_path / "set.jsonl"
    rows = [
        # Labelled with an action, decided right (a clear how-to question of the small KB).
        line(
            "a1",
            "¿Cómo reinicio el router de casa?",
            {"action": "answer", "article": "kb-router-reset-es", "lang": "es", "sentiment": "neutral"},
        ),
        # Labelled with an action the pipeline cannot give (a praise labelled as a crisis): an error.
        line(
            "a2",
            "Thank you, the installer was lovely and quick!",
            {"action": "crisis", "article": None, "lang": "en", "sentiment": "positive"},
        ),
        # Sentiment only: counts for sentiment and language, never for actions.
        line(
            "s1",
            "Worst service ever, third day without a working line.",
            {"lang": "en", "sentiment": "negative"},
        ),
        line("s2", "Hoy estrenamos casa nueva.", {"lang": "es", "sentiment": "neutral"}),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CENTINELA_READING_PROCESSES", "0")
    assert main(args) == 0
    return capsys.readouterr().out


def test_eval_json_counts_sentiment_only_lines_and_lists_errors_with_evidence(
    messages: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(
        ["eval", "--kb", str(KB_SMALL), "--messages", str(messages), "--json", "--errors"],
        monkeypatch,
        tmp_path,
        capsys,
    )
    result = json.loads(out)
    assert result["messages"] == 4
    assert sum(row["support"] for row in result["per_action"].values()) == 2
    assert set(result["sentiment_by_lang"]) == {"en", "es"}
    assert result["sentiment_by_lang"]["en"]["support"] == 2
    assert result["sentiment_by_lang"]["es"]["support"] == 2
    errors = {e["id"]: e for e in result["errors"]}
    assert "s1" not in errors and "s2" not in errors
    wrong = errors["a2"]
    assert wrong["text"].startswith("Thank you") and wrong["expected"] == "crisis"
    assert wrong["got"] != "crisis" and wrong["rule"]
    assert set(wrong["top_probabilities"]) <= {"answer", "case", "crisis", "agent", "monitor"}
    assert len(wrong["top_probabilities"]) == 3 and wrong["complaint"] is not None
    assert wrong["candidates"] and all(c["article"].startswith("kb-") for c in wrong["candidates"])


def test_eval_text_prints_sentiment_table_and_readable_errors(
    messages: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(
        ["eval", "--kb", str(KB_SMALL), "--messages", str(messages), "--errors"],
        monkeypatch,
        tmp_path,
        capsys,
    )
    assert "sentiment by language" in out
    assert "a2  expected crisis, got" in out
    assert "text        Thank you, the installer was lovely and quick!" in out
    assert "candidates  kb-" in out and "models      " in out
    without = run(["eval", "--kb", str(KB_SMALL), "--messages", str(messages)], monkeypatch, tmp_path, capsys)
    assert "errors (" not in without
