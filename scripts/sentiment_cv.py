"""Cross-validated figures of the sentiment model with and without one example file (choices only).

    python scripts/sentiment_cv.py                               # sentiment_es.yaml, weights 0 / 1 / 2
    python scripts/sentiment_cv.py --weights 0 --seeds 4         # score it only (a check file)
    python scripts/sentiment_cv.py --file tweets.yaml --weights 0,2

Why: a new hand-written example file (or its weight, or `C`) must be chosen without reading
the external test (the airline tweets). Each variant is scored by 5-fold cross-validation over
train.jsonl + dev.jsonl (all languages and per language) and, with the file's own rows split
into the same 5 folds, on the held-out fifth of those rows too: the file is then both training
data and a second test written in tweet register. Weight 0 leaves the file out of the fit (its
rows are still scored), so it is the "before" column. The other example files and the KB's
questions always train and are never scored, as in `scripts/train_models.py`, whose class
balancing and calm-case relabelling (`Dataset.task`) every variant keeps.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.reading.normalise import normalise_text  # noqa: E402
from scripts.learned_data import EXAMPLES, Dataset, Row, build_dataset, embed, sentiment_rows  # noqa: E402
from scripts.train_models import SEED, SHARED, choose, fit_lr, logits  # noqa: E402

FloatArray = NDArray[np.float64]


def with_weight(data: Dataset, source: str, weight: float) -> Dataset:
    """A copy of `data` whose rows from `source` weigh `weight` (0: left out of every fit)."""
    keep = [i for i, r in enumerate(data.rows) if r.source != source or weight > 0]
    rows = [data.rows[i] for i in keep]
    reweighted = [
        Row(r.text, r.origin, r.labels, weight if r.source == source else r.weight, r.source, r.raw)
        for r in rows
    ]
    out = Dataset(reweighted, data.vectors[keep], data.embedder_version)
    for row in out.rows:  # dev joins the fit in cross-validation, as in `scripts/cv_pipeline.py`
        if row.origin == "dev":
            row.origin = "train-cv"
    return out


def scores(truth: NDArray[Any], pred: NDArray[Any], langs: NDArray[Any]) -> dict[str, Any]:
    labels = ["negative", "neutral", "positive"]
    out: dict[str, Any] = {
        "n": len(truth),
        "accuracy": round(float((truth == pred).mean()), 3),
        "macro_f1": round(float(f1_score(truth, pred, average="macro", labels=labels)), 3),
    }
    for lang in sorted(set(langs.tolist())):
        m = langs == lang
        out[lang] = round(float(f1_score(truth[m], pred[m], average="macro", labels=labels)), 3)
    return out


def file_rows(data: Dataset, source: str) -> tuple[FloatArray, NDArray[Any], NDArray[Any]]:
    """(vectors, labels, language) of the example file's rows, language from its top-level keys."""
    idx = [i for i, r in enumerate(data.rows) if r.source == source]
    langs = np.array([lang_of_example(data.rows[i].text, source) for i in idx])
    return data.vectors[idx], np.array([data.rows[i].labels["sentiment"] for i in idx]), langs


@functools.cache
def example_langs(source: str) -> dict[str, str]:
    """Text -> language (the file's top-level key) of one `lang: {label: [texts]}` example file."""
    by_lang: Any = yaml.safe_load((EXAMPLES / source).read_text(encoding="utf-8"))
    return {t: lang for lang, by_label in by_lang.items() for ts in by_label.values() for t in ts}


def lang_of_example(text: str, source: str) -> str:
    return example_langs(source)[text]


def variant(data: Dataset, source: str, weight: float, c: float | None, seed: int = SEED) -> dict[str, Any]:
    """5-fold figures of one weight of `source` (and `C`; None: chosen as train_models does)."""
    sub = with_weight(data, source, weight)
    x, y, w, origin = sub.task("sentiment")
    truth = sub.truth("sentiment")
    sources = np.array([r.source for r in sub.rows if "sentiment" in r.labels])
    labelled = [r for r in sub.rows if "sentiment" in r.labels]
    langs = np.array([str((r.raw.get("expect") or {}).get("lang", "")) for r in labelled])
    scored = origin != "extra"
    own = sources == source
    always = ~scored & ~own
    if c is None:
        order = np.concatenate([np.flatnonzero(~always), np.flatnonzero(always)])
        c, _t, _losses = choose(x[order], y[order], w[order], int(always.sum()))
    fx, fy, flang = file_rows(data, source)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    pred = np.empty(len(y), dtype=object)
    own_pred = np.empty(len(fy), dtype=object)
    own_folds = list(folds.split(np.zeros(len(fy)), fy))
    own_idx = np.flatnonzero(own)  # the file's rows in `sub` (empty at weight 0), same order as `fy`
    for k, (_fit, held) in enumerate(folds.split(np.zeros(scored.sum()), y[scored])):
        held_scored = np.flatnonzero(scored)[held]
        held_own = own_folds[k][1]
        train = np.ones(len(y), dtype=bool)
        train[held_scored] = False
        if len(own_idx):
            train[own_idx[held_own]] = False
        model = fit_lr(x[train], y[train], w[train], c)
        classes = model.classes_
        pred[held_scored] = classes[logits(model, x[held_scored]).argmax(axis=1)]
        own_pred[held_own] = classes[logits(model, fx[held_own]).argmax(axis=1)]
    return {
        "weight": weight,
        "C": c,
        "seed": seed,
        "cv5_train_dev": scores(truth[scored], pred[scored], langs[scored]),
        "cv5_own_file": scores(fy, own_pred, flang),
    }


def mean_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures averaged over repeated fold splits (the split's own noise is ~0.01 macro-F1)."""
    out: dict[str, Any] = {"seed": f"{runs[0]['seed']}+{len(runs) - 1}"}
    for part in ("cv5_train_dev", "cv5_own_file"):
        out[part] = {k: round(float(np.mean([r[part][k] for r in runs])), 3) for k in runs[0][part]}
    return out


def with_check_file(data: Dataset, source: str) -> Dataset:
    """`data` plus the rows of `source` when the training data leaves it out (a check file).

    Its rows get `EXAMPLE_WEIGHT`, so a weight variant above 0 fits it as it would be fitted
    if it joined `SENTIMENT_ONLY_FILES`; at weight 0 it is only scored.
    """
    if any(r.source == source for r in data.rows):
        return data
    rows = sentiment_rows(source, praise_is_no_complaint=False)
    vectors, _version = embed([normalise_text(r.text) for r in rows])
    return Dataset([*data.rows, *rows], np.vstack([data.vectors, vectors]), data.embedder_version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=SHARED)
    parser.add_argument("--file", default="sentiment_es.yaml")
    parser.add_argument("--weights", default="0,1,2")
    parser.add_argument("--c", type=float, default=None, help="fixed C (default: chosen by 5-fold log-loss)")
    parser.add_argument("--seeds", type=int, default=1, help="repeat over this many fold splits (mean)")
    args = parser.parse_args(argv)
    data = with_check_file(build_dataset(args.eval_dir), args.file)
    report = []
    for wt in args.weights.split(","):
        runs = [variant(data, args.file, float(wt), args.c, SEED + k) for k in range(args.seeds)]
        report.append({**runs[0], **mean_of(runs)} if args.seeds > 1 else runs[0])
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
