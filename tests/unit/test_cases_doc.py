"""docs/cases.md's SLA example is a configuration the service accepts, with the meaning it says."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from bot.config import load_settings
from tests.paths import ROOT


def test_the_sla_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "cases.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "centinela.yaml"
    config.write_text(example, encoding="utf-8")
    monkeypatch.setenv("CENTINELA_CONFIG", str(config))
    sla = load_settings(data_dir=tmp_path / "var").cases.sla
    assert sla.teams["default"].timezone == "Europe/Madrid" and sla.teams["default"].start == time(9)
    assert sla.teams["social"].always and sla.channel_teams["twitter"] == "social"
    assert sla.targets["urgent"].first_response_min == 15


def test_the_readme_self_identification_example_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = text.split("```yaml\nself_id:", 1)[1].split("```", 1)[0]
    config = tmp_path / "centinela.yaml"
    config.write_text("self_id:" + example, encoding="utf-8")
    monkeypatch.setenv("CENTINELA_CONFIG", str(config))
    self_id = load_settings(data_dir=tmp_path / "var").self_id
    assert self_id.code_ttl_s == 900 and self_id.max_attempts == 3 and self_id.codes_per_customer == 5
    assert self_id.contract().search("mi contrato es CT-778899") is not None
