"""Cross-validated figures of the whole decision pipeline (rules + KB + learned models).

    python scripts/cv_pipeline.py [--folds 5] > cv.json

For each of 5 folds over train.jsonl + dev.jsonl, the three learned models are refitted on the
other folds (plus the KB's questions and the hand-written examples; `C` and the temperature as
in the shipped manifest), written to a scratch folder, and the real pipeline (`centinela eval`'s
code path, same rules and KB) decides the held-out messages with them. All held-out decisions
are then scored together, so every figure is on messages whose labels no model saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.evaluate import Decided, decide_all, score  # noqa: E402
from bot.cli.traffic import LabelledMessage  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.models import InboundMessage  # noqa: E402
from bot.engine.extensions import build_extensions  # noqa: E402
from bot.engine.runtime import build_pipeline  # noqa: E402
from bot.pipeline.pipeline import event_clock  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from retrieval.answer_policy import AnswerPolicy  # noqa: E402
from retrieval.kb_decision import KbAnalyser  # noqa: E402
from scripts.learned_data import build_dataset  # noqa: E402
from scripts.train_models import OUT, SEED, SHARED, export, export_topic_examples  # noqa: E402


def labelled(raw: dict[str, Any]) -> LabelledMessage:
    fields = {k: v for k, v in raw.items() if k not in ("expect", "raw")}
    return LabelledMessage(InboundMessage.model_validate(fields), raw["expect"])


async def decide(
    folder: Path, kb: Path, items: list[LabelledMessage], scratch: Path, policy: AnswerPolicy | None = None
) -> list[Decided]:
    """`centinela eval`'s decisions with the models in `folder` (and an answer policy, if given)."""
    settings = Settings(learned_dir=folder, reading_processes=0, data_dir=ROOT / "var")
    store = SqliteStore(scratch / f"{folder.name}.sqlite3")
    await store.open()
    try:
        extensions = build_extensions(settings, kb)
        if policy is not None:
            for analyser in extensions.analysers:
                if isinstance(analyser, KbAnalyser):
                    analyser.policy = policy
        pipeline = build_pipeline(settings, store, clock=event_clock, extensions=extensions)
        return await decide_all(pipeline, items)
    finally:
        await store.close()


def cross_validated(
    eval_dir: Path, folds_n: int, policy: AnswerPolicy | None = None
) -> tuple[list[LabelledMessage], list[Decided]]:
    """Every train+dev message decided by models refitted without its fold."""
    shipped = json.loads((OUT / "manifest.json").read_text())
    data = build_dataset(eval_dir)
    messages = [row.raw for row in data.rows if row.origin != "extra"]
    actions = np.array([m["expect"]["action"] for m in messages])
    items: list[LabelledMessage] = []
    results: list[Decided] = []
    with tempfile.TemporaryDirectory(prefix="centinela-cv-") as tmp:
        scratch = Path(tmp)
        folds = StratifiedKFold(folds_n, shuffle=True, random_state=SEED)
        for n, (_fit, held) in enumerate(folds.split(np.zeros(len(messages)), actions)):
            held_ids = frozenset(messages[i]["id"] for i in held)
            folder = scratch / f"fold{n}"
            folder.mkdir()
            # "dev" rows are fitted too here: in CV, dev is just more data outside the held fold.
            for row in data.rows:
                if row.origin == "dev":
                    row.origin = "train-cv"
            models = {
                task: export(data, task, folder, entry["C"], entry["temperature"], held_ids)
                for task, entry in shipped["models"].items()
            }
            manifest = {**shipped, "models": models}
            manifest["topic_examples"] = export_topic_examples(data, folder, held_ids)
            (folder / "manifest.json").write_text(json.dumps(manifest))
            fold_items = [labelled(messages[i]) for i in held]
            items.extend(fold_items)
            results.extend(asyncio.run(decide(folder, eval_dir / "kb", fold_items, scratch, policy)))
            print(f"fold {n}: {len(fold_items)} messages decided", file=sys.stderr)
            shutil.rmtree(folder)
    return items, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=SHARED)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--errors", action="store_true")
    args = parser.parse_args(argv)
    items, results = cross_validated(args.eval_dir, args.folds)
    result = score(items, results)
    if not args.errors:
        result.pop("errors")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
