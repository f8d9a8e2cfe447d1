"""Sweep the answer gate's thresholds on dev, with the 5-fold figure beside each point.

    python scripts/sweep_answer_gate.py > var/answer_gate_sweep.json

The pipeline decides every message once with the gate's three thresholds relaxed to zero
(`min_confidence`, `min_lead`, `min_p_answer`; every other condition of an automatic answer
stays: both views agree, the action model rates `answer` on top, no veto, P(complaint) low, a
question). A message answered then is
answered under stricter thresholds exactly when its confidence, lead and P(answer) reach them,
so one run gives every point of the grid. Dev uses the shipped models (fitted without dev); the
5-fold column refits them per fold (`cv_pipeline.py`). The choice is made on dev: the point
with the highest coverage whose precision is at least `--precision` and whose stricter
neighbours (each threshold one step up) keep it too, so it does not sit on a lucky point. The
5-fold figures are the check, never the selector.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.evaluate import Decided  # noqa: E402
from bot.cli.traffic import LabelledMessage  # noqa: E402
from retrieval.answer_policy import AnswerPolicy  # noqa: E402
from scripts.cv_pipeline import cross_validated, decide, labelled  # noqa: E402
from scripts.train_models import OUT, SHARED  # noqa: E402

CONFIDENCE = (0.40, 0.42, 0.44, 0.46, 0.48, 0.50, 0.52, 0.54)
LEAD = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25)
P_ANSWER = (0.2, 0.3, 0.4, 0.5, 0.6)
RELAXED = AnswerPolicy(min_confidence=0.0, min_lead=0.0, min_p_answer=0.0)
Point = tuple[float, float, float]


def _topic(article: str | None) -> str | None:
    return article.rsplit("-", 1)[0] if article else None


def candidates(items: list[LabelledMessage], results: list[Decided]) -> tuple[list[dict[str, Any]], int]:
    """The relaxed run's automatic answers with their gate figures; and the answerable count."""
    out = []
    for item, (decision, _ms, details) in zip(items, results, strict=True):
        if decision.rule != "kb-answer":
            continue
        kb = details["kb_assessment"] or {}
        out.append(
            {
                "confidence": float(kb.get("confidence", 0.0)),
                "lead": float(kb.get("lead", 0.0)),
                # The gate's floor reads answer + agent (`AnswerPolicy.question_mass`).
                "p_answer": float(details["model_p"].get("answer", 0.0))
                + float(details["model_p"].get("agent", 0.0)) * RELAXED.question_mass,
                "right": item.expect.get("action") == "answer"
                and _topic(item.expect.get("article")) == _topic(decision.article),
            }
        )
    return out, sum(item.expect.get("action") == "answer" for item in items)


def figures(answers: list[dict[str, Any]], answerable: int, point: Point) -> dict[str, Any]:
    conf, lead, p_answer = point
    kept = [a for a in answers if a["confidence"] >= conf and a["lead"] >= lead and a["p_answer"] >= p_answer]
    right = sum(a["right"] for a in kept)
    return {
        "answered": len(kept),
        "wrong": len(kept) - right,
        "precision": round(right / len(kept), 3) if kept else 1.0,
        "coverage": round(right / answerable, 3) if answerable else 0.0,
    }


def neighbours(point: Point) -> list[Point]:
    grids = (CONFIDENCE, LEAD, P_ANSWER)
    out = []
    for axis, grid in enumerate(grids):
        i = grid.index(point[axis])
        if i + 1 < len(grid):
            out.append(tuple(grid[i + 1] if a == axis else point[a] for a in range(3)))  # type: ignore[misc]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=SHARED)
    parser.add_argument("--precision", type=float, default=0.97)
    args = parser.parse_args(argv)
    dev_items = [
        labelled(json.loads(line))
        for line in (args.eval_dir / "dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory(prefix="centinela-sweep-") as tmp:
        dev_results = asyncio.run(decide(OUT, args.eval_dir / "kb", dev_items, Path(tmp), RELAXED))
    dev, dev_n = candidates(dev_items, dev_results)
    cv, cv_n = candidates(*cross_validated(args.eval_dir, 5, RELAXED))
    grid = list(itertools.product(CONFIDENCE, LEAD, P_ANSWER))
    rows = {point: (figures(dev, dev_n, point), figures(cv, cv_n, point)) for point in grid}

    def safe(point: Point) -> bool:
        return rows[point][0]["precision"] >= args.precision

    chosen = max(
        (p for p in grid if safe(p) and all(safe(n) for n in neighbours(p))),
        key=lambda p: (rows[p][0]["coverage"], p),
        default=None,
    )
    report = {
        "chosen": dict(zip(("min_confidence", "min_lead", "min_p_answer"), chosen, strict=True))
        if chosen
        else None,
        "chosen_dev": rows[chosen][0] if chosen else None,
        "chosen_cv5": rows[chosen][1] if chosen else None,
        "grid": [
            {"min_confidence": p[0], "min_lead": p[1], "min_p_answer": p[2], "dev": d, "cv5": c}
            for p, (d, c) in rows.items()
        ],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
