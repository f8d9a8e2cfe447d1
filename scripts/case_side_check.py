"""What the case-side check (`retrieval/case_side.py`) changes: decisions with it off and on.

    python scripts/case_side_check.py            # 5-fold over train + dev, twice
    python scripts/case_side_check.py --shipped  # the shipped models on dev and the bursts

Prints each set's figures both ways and every message whose action changed or that the check
flagged, marked when it withheld a right answer (the count that must stay ~0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.evaluate import Decided, score  # noqa: E402
from bot.cli.traffic import LabelledMessage  # noqa: E402
from retrieval.answer_policy import AnswerPolicy  # noqa: E402
from scripts.cv_pipeline import cross_validated, decide, labelled  # noqa: E402
from scripts.train_models import OUT, SHARED  # noqa: E402

SETS = ("dev.jsonl", "bursts/calm_day.jsonl", "bursts/influencer.jsonl", "bursts/outage_madrid.jsonl")
POLICIES = (("off", AnswerPolicy(case_side={})), ("on", AnswerPolicy()))


def report(name: str, items: list[LabelledMessage], runs: dict[str, list[Decided]]) -> None:
    for which, results in runs.items():
        s = score(items, results)
        answer = {k: s["answer"][k] for k in ("auto_answered", "correct_article", "precision", "coverage")}
        recall = {a: s["per_action"][a]["recall"] for a in ("case", "crisis")}
        print(name, which, s["action_accuracy"], answer, "unsafe", s["unsafe_auto_replies"], recall)
    for item, off, on in zip(items, runs["off"], runs["on"], strict=True):
        flagged = (on[2].get("kb_assessment") or {}).get("case_side")
        if off[0].action == on[0].action and not flagged:
            continue
        expect = item.expect
        right = off[0].action == "answer" and off[0].article == expect.get("article")
        print(
            f"  {item.message.id} want {expect['action']} | off {off[0].action} {off[0].article}"
            f" | on {on[0].action} ({on[0].rule}) {flagged}{' RIGHT ANSWER WITHHELD' if right else ''}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipped", action="store_true")
    if not parser.parse_args().shipped:
        runs: dict[str, list[Decided]] = {}
        for which, policy in POLICIES:
            items, runs[which] = cross_validated(SHARED, 5, policy)
        report("5-fold", items, runs)
        return 0
    for name in SETS:
        raws = [json.loads(line) for line in (SHARED / name).read_text().splitlines() if line.strip()]
        items = [labelled(raw) for raw in raws if raw.get("expect", {}).get("action")]
        runs = {}
        for which, policy in POLICIES:
            with tempfile.TemporaryDirectory() as tmp:
                runs[which] = asyncio.run(decide(OUT, SHARED / "kb", items, Path(tmp), policy))
        report(name, items, runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
