"""`centinela campaigns define|list|show|approve|pause|resume|cancel` on the configured store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.paths import SAMPLES

SAMPLE = SAMPLES / "campaigns" / "mayo-50.yaml"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("CENTINELA_DATA_DIR", str(tmp_path))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["campaigns", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_lifecycle_from_the_command_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "define", str(SAMPLE), "--actor", "marta")[:2] == (0, "campaign mayo-50 is a draft\n")
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0 and [(c["id"], c["status"]) for c in json.loads(out)] == [("mayo-50", "draft")]
    assert run(capsys, "pause", "mayo-50")[0] == 1  # a draft cannot be paused
    assert run(capsys, "approve", "mayo-50", "--actor", "jefa")[:2] == (0, "campaign mayo-50 is approved\n")
    code, out, _ = run(capsys, "show", "mayo-50", "--json")
    shown = json.loads(out)
    assert shown["approved_by"] == "cli:jefa" and len(shown["posts"]) == 18
    assert {p["state"] for p in shown["posts"]} == {"scheduled"}
    assert run(capsys, "pause", "mayo-50")[0] == 0
    assert run(capsys, "resume", "mayo-50")[0] == 0
    assert run(capsys, "cancel", "mayo-50")[0] == 0
    code, out, err = run(capsys, "list", "--status", "cancelled")
    assert (
        code == 0
        and out.startswith("mayo-50\tcancelled\t2026-05-20..2026-05-30\t")
        and "1 campaign(s)" in err
    )
    code, out, _ = run(capsys, "show", "mayo-50")
    assert "approve  by cli:jefa  draft -> approved" in out
    assert run(capsys, "show", "nope")[0] == 1


def test_define_refuses_a_bad_file_naming_each_problem(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        SAMPLE.read_text(encoding="utf-8").replace('"end 09:00"', '"end+3d 09:00"'), encoding="utf-8"
    )
    code, _, err = run(capsys, "define", str(bad))
    assert code == 1
    assert "error step 3: step outside the window" in err and "1 problem(s) in the campaign" in err
    assert json.loads(run(capsys, "list", "--json")[1]) == []


def test_outage_start_list_resolve(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_outage(capsys, "start", "Fibra Madrid", "--region", "Madrid")
    assert code == 0 and out.startswith("outage O-") and "notice queued" in out
    outage = out.split()[1]
    code, out, _ = run_outage(capsys, "list")
    assert out.startswith(f"{outage}\tFibra Madrid\tMadrid\tsince ")
    assert run_outage(capsys, "start", "Fibra Madrid", "--region", "Madrid")[0] == 1  # already declared
    assert run_outage(capsys, "start", "Sin nada")[0] == 1  # nothing to match complaints with
    code, out, _ = run_outage(capsys, "resolve", outage)
    assert code == 0 and "resolution queued, 0 complainer(s) told" in out
    assert run_outage(capsys, "list")[1] == ""


def run_outage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["outage", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err
