"""`centinela campaigns preview FILE [--json]`: the FORMATS.md object, exit 2 on any problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.paths import SAMPLES

SAMPLE = SAMPLES / "campaigns" / "mayo-50.yaml"


def test_preview_json_of_a_good_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path))
    assert main(["campaigns", "preview", str(SAMPLE), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"campaign", "steps", "errors"}
    assert printed["campaign"] == "mayo-50" and printed["errors"] == []
    assert len(printed["steps"]) == 18
    assert set(printed["steps"][0]) == {
        "n",
        "at_local",
        "at_utc",
        "channel",
        "lang",
        "text",
        "length",
        "limit",
    }


def test_preview_of_a_bad_file_lists_errors_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path))
    bad = tmp_path / "bad.yaml"
    text = SAMPLE.read_text(encoding="utf-8").replace(
        'es: "Quedan 5 días', 'es: "' + "x" * 300 + " Quedan 5 días"
    )
    bad.write_text(
        text.replace("channels: [twitter, facebook]", "channels: [twitter, fax]"), encoding="utf-8"
    )
    assert main(["campaigns", "preview", str(bad), "--json"]) == 2
    printed = json.loads(capsys.readouterr().out)
    assert [(e["step"], e["channel"], e["lang"]) for e in printed["errors"]] == [
        (None, "fax", None),
        (2, "twitter", "es"),
    ]
    assert all(set(e) == {"step", "channel", "lang", "error"} for e in printed["errors"])
    assert main(["campaigns", "preview", str(bad)]) == 2
    out = capsys.readouterr()
    assert "error step 2 twitter es: text is 350 characters" in out.out
    assert "2 problem(s)" in out.err
