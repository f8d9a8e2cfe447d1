"""Loading and running the shipped linear models (numpy only).

Why linear models over the embedding: the encoder already places messages that mean the same
thing close together in every language, so a softmax over that space learns "complaint",
"negative" or "case" from a few hundred examples, in es/en/pt at once, and costs one 512 x k
product per message (a few microseconds). A manifest that does not match its weights is a
broken install, and it fails loudly at load, never with silently wrong probabilities.

Each model `NAME` is `data/NAME.npz` with `coef` (dim x classes), `intercept` (classes) and
`temperature` (a scalar fitted on out-of-fold predictions: probabilities = softmax(z / T)),
described in `manifest.json` under `models.NAME` with its `classes`, `dim`, `sha256` and
`features` (`embedding`, the default, or `embedding+reach`: see `features.py`); `dim` must be
what that feature set makes of the embedding size the other models agree on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from retrieval.learned.features import EMBEDDING, FEATURE_SETS, feature_dim, model_input

DEFAULT_DIR = Path(__file__).parent / "data"
MANIFEST = "manifest.json"
FloatArray = NDArray[np.float64]


class ModelsError(RuntimeError):
    """The model folder is unusable: missing file, wrong shape, or weights the manifest does not name."""


@dataclass(frozen=True)
class LinearModel:
    """softmax((x @ coef + intercept) / temperature) over `classes`."""

    name: str
    classes: tuple[str, ...]
    coef: FloatArray
    intercept: FloatArray
    temperature: float
    features: str = EMBEDDING

    def __post_init__(self) -> None:
        k = len(self.classes)
        if k < 2 or self.coef.ndim != 2 or self.coef.shape[1] != k or self.intercept.shape != (k,):
            raise ModelsError(
                f"model {self.name}: coef {self.coef.shape} / intercept {self.intercept.shape} "
                f"do not fit {k} classes"
            )
        if not self.temperature > 0:
            raise ModelsError(f"model {self.name}: temperature must be > 0, got {self.temperature}")
        if self.features not in FEATURE_SETS:
            raise ModelsError(f"model {self.name}: unknown features {self.features!r}, known: {FEATURE_SETS}")

    @property
    def dim(self) -> int:
        return int(self.coef.shape[0])

    @property
    def embedding_dim(self) -> int:
        """The embedding size this model's input is built from."""
        return self.dim if self.features == EMBEDDING else (self.dim - 1) // 2

    def probabilities(self, vector: NDArray[Any]) -> dict[str, float]:
        """One class -> probability map for one embedding (sums to 1)."""
        x = np.asarray(vector, dtype=np.float64).reshape(-1)
        if x.shape[0] != self.dim:
            raise ModelsError(f"model {self.name}: vector of size {x.shape[0]}, expected {self.dim}")
        z = (x @ self.coef + self.intercept) / self.temperature
        z -= z.max()
        e = np.exp(z)
        p = e / e.sum()
        return {label: float(v) for label, v in zip(self.classes, p, strict=True)}


@dataclass(frozen=True)
class Prediction:
    """What the models say about one message."""

    sentiment: dict[str, float]
    action: dict[str, float]
    complaint: float

    @property
    def sentiment_label(self) -> str:
        return max(self.sentiment, key=lambda k: self.sentiment[k])

    def flat(self) -> dict[str, float]:
        """The names rules threshold (`p_min: {case: 0.6}`): actions, sentiments, `complaint`."""
        return {**self.action, **self.sentiment, "complaint": self.complaint}


class LearnedModels:
    """The sentiment, complaint and action models of one folder, checked against its manifest."""

    REQUIRED = ("sentiment", "complaint", "action")

    def __init__(self, models: dict[str, LinearModel], manifest: dict[str, Any]) -> None:
        missing = [name for name in self.REQUIRED if name not in models]
        if missing:
            raise ModelsError(f"missing models {missing}")
        for model in models.values():
            if model.dim != feature_dim(model.features, model.embedding_dim):
                raise ModelsError(
                    f"model {model.name}: {model.dim} inputs do not fit features {model.features!r}"
                )
        dims = {model.embedding_dim for model in models.values()}
        if len(dims) != 1:
            raise ModelsError(f"models disagree on the embedding size: {sorted(dims)}")
        self.models = models
        self.manifest = manifest
        self.dim = dims.pop()
        self.embedder = str(manifest.get("embedder", ""))
        self.thresholds: dict[str, float] = {
            str(k): float(v) for k, v in (manifest.get("thresholds") or {}).items()
        }
        self.topic_examples: list[tuple[str, NDArray[Any]]] = []
        self._example_matrix: NDArray[np.float32] | None = None

    @classmethod
    def load(cls, folder: Path = DEFAULT_DIR) -> LearnedModels:
        """Read `manifest.json` and every model it names; any mismatch raises `ModelsError`."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelsError(f"{folder / MANIFEST}: cannot read manifest: {exc}") from exc
        entries = manifest.get("models")
        if not isinstance(entries, dict):
            raise ModelsError(f"{folder / MANIFEST}: no 'models' mapping")
        models = {name: _load_model(folder, str(name), entry) for name, entry in entries.items()}
        loaded = cls(models, manifest)
        if manifest.get("topic_examples"):
            loaded.topic_examples = _load_topic_examples(folder, manifest["topic_examples"], loaded.dim)
        return loaded

    def nearest_examples(self, vector: NDArray[Any], k: int = 7) -> list[tuple[str, float]]:
        """(label, cosine) of the `k` most similar shipped example questions, best first.

        A nearest-neighbour view over real customer phrasings (label: a topic or `none`), beside
        the KB's own chunks: the KB step's retrieval votes with both.
        """
        if not self.topic_examples:
            return []
        sims = np.einsum("ij,j->i", self._examples(), np.asarray(vector, dtype=np.float32).reshape(-1))
        return self.nearest_of(sims, k)

    def example_similarities(self, vectors: NDArray[Any]) -> NDArray[np.float32] | None:
        """Every example question's cosine for each row of `vectors`, in one matrix product (a
        claimed batch's chunk: the 955 x 512 examples read once, not once per message); None
        without examples. Run it on one BLAS thread (`retrieval.blas`)."""
        if not self.topic_examples:
            return None
        sims: NDArray[np.float32] = np.asarray(vectors, dtype=np.float32) @ self._examples().T
        return sims

    def nearest_of(self, sims: NDArray[Any], k: int = 7) -> list[tuple[str, float]]:
        """`nearest_examples` from one message's row of `example_similarities`."""
        best = np.argsort(-sims)[:k]
        return [(self.topic_examples[i][0], float(sims[i])) for i in best]

    def _examples(self) -> NDArray[np.float32]:
        if self._example_matrix is None:
            # float32, as shipped: half the memory traffic of float64, and on this 2-core machine
            # a 955 x 512 float64 product cost ~2 ms of CPU per message (BLAS threads spinning).
            self._example_matrix = np.stack([v for _label, v in self.topic_examples]).astype(np.float32)
        return self._example_matrix

    def predict(self, vector: NDArray[Any], reach: float = 0.0) -> Prediction:
        """The three models on one embedding; `reach`: `features.reach_flag` of the author."""
        read = self._read
        complaint = read("complaint", vector, reach)
        return Prediction(
            sentiment=read("sentiment", vector, reach),
            action=read("action", vector, reach),
            complaint=complaint.get("yes", 0.0),
        )

    def _read(self, name: str, vector: NDArray[Any], reach: float) -> dict[str, float]:
        model = self.models[name]
        return model.probabilities(model_input(model.features, vector, reach))


def _checked_bytes(path: Path, entry: dict[str, Any], what: str) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelsError(f"{what}: cannot read {path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if entry.get("sha256") != digest:
        raise ModelsError(f"{what}: {path.name} has sha256 {digest[:12]}…, the manifest says otherwise")
    return raw


def _load_topic_examples(folder: Path, entry: Any, dim: int) -> list[tuple[str, NDArray[Any]]]:
    """Embedded labelled questions (topic or `none`) for the KB step's topic classifier."""
    if not isinstance(entry, dict):
        raise ModelsError("manifest: topic_examples needs 'file' and 'sha256'")
    path = folder / str(entry.get("file", "topic_examples.npz"))
    _checked_bytes(path, entry, "topic examples")
    with np.load(path, allow_pickle=False) as arrays:
        vectors = np.asarray(arrays["vectors"], dtype=np.float64)
        labels = [str(label) for label in arrays["labels"]]
    if vectors.ndim != 2 or vectors.shape != (len(labels), dim):
        raise ModelsError(f"topic examples: vectors {vectors.shape} for {len(labels)} labels of dim {dim}")
    return list(zip(labels, vectors, strict=True))


def _load_model(folder: Path, name: str, entry: Any) -> LinearModel:
    if not isinstance(entry, dict) or not isinstance(entry.get("classes"), list):
        raise ModelsError(f"manifest: model {name}: needs 'classes', 'dim', 'file', 'sha256'")
    path = folder / str(entry.get("file", f"{name}.npz"))
    _checked_bytes(path, entry, f"model {name}")
    with np.load(path, allow_pickle=False) as arrays:
        try:
            coef = np.asarray(arrays["coef"], dtype=np.float64)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
            temperature = float(arrays["temperature"])
        except KeyError as exc:
            raise ModelsError(f"model {name}: {path.name} lacks array {exc}") from exc
    features = str(entry.get("features", EMBEDDING))
    model = LinearModel(name, tuple(str(c) for c in entry["classes"]), coef, intercept, temperature, features)
    if int(entry.get("dim", -1)) != model.dim:
        raise ModelsError(
            f"model {name}: weights are for dim {model.dim}, the manifest says {entry.get('dim')}"
        )
    return model
