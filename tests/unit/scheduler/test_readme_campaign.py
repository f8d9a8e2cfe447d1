"""The README's campaign example is the shipped file and its real `preview` output."""

from __future__ import annotations

import json
import re

from scheduler.campaign_plan import plan_text
from scheduler.campaign_preview import preview_lines
from tests.paths import ROOT, SAMPLES

README = (ROOT / "README.md").read_text(encoding="utf-8")
SAMPLE = (SAMPLES / "campaigns" / "mayo-50.yaml").read_text(encoding="utf-8")


def block(name: str) -> str:
    match = re.search(rf"<!-- {name}:begin -->\n```[a-z]*\n(.*?)```\n<!-- {name}:end -->", README, re.DOTALL)
    assert match is not None, name
    return match.group(1)


def test_the_readme_shows_the_sample_campaign_file() -> None:
    assert block("campaign-yaml") == SAMPLE


def test_the_readme_shows_the_real_preview_output() -> None:
    plan = plan_text(SAMPLE)
    assert plan.ok
    assert block("campaign-preview") == "\n".join(preview_lines(plan)) + "\n"
    steps = plan.preview()["steps"]
    assert isinstance(steps, list)
    assert json.loads(block("campaign-preview-json")) == steps[0]
