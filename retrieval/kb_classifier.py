"""A topic classifier over sentence embeddings, trained on the KB itself plus hand-written examples.

Nearest-chunk retrieval ranks an article by its single most similar phrase, so a message that
shares one phrase with the wrong article ("cancel" in "cancel only the film package") can win.
A linear softmax over the embedding space learns, from every chunk of a topic at once, which
directions of the space belong to it, and an extra `none` class learns what the telecom
questions the KB does *not* answer look like (static IP, plan prices, a smartwatch eSIM...).

Training data (no evaluation text is used):
* every chunk of the loaded KB (titles, questions, body passages), labelled with its topic;
* `responders/data/answerable_examples.yaml`: hand-written customer questions per topic (used
  only for topics present in the loaded KB) and out-of-KB questions (the `none` class).

Training is plain numpy (full-batch gradient descent, L2, fixed iterations: deterministic) and
takes a fraction of a second; it runs off the event loop whenever a KB snapshot is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from retrieval.knowledge_base import KnowledgeBase

NONE = "none"
EXAMPLES_FILE = Path(__file__).parent / "data" / "answerable_examples.yaml"

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Examples:
    """Hand-written training messages: per-topic answerable questions and out-of-KB questions."""

    answerable: dict[str, list[str]] = field(default_factory=dict)
    out_of_kb: list[str] = field(default_factory=list)
    # Already embedded (with the KB's embedder) labelled messages: (topic or `none`, unit vector).
    # The learned models ship these (`retrieval/learned`), so start-up embeds nothing more.
    embedded: list[tuple[str, NDArray[Any]]] = field(default_factory=list)

    def with_embedded(self, embedded: list[tuple[str, NDArray[Any]]]) -> Examples:
        return Examples(self.answerable, self.out_of_kb, [*self.embedded, *embedded])

    @classmethod
    def load(cls, path: Path = EXAMPLES_FILE) -> Examples:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        answerable = {str(k): [str(q) for q in v or []] for k, v in (data.get("answerable") or {}).items()}
        return cls(answerable=answerable, out_of_kb=[str(q) for q in data.get("out_of_kb") or []])


@dataclass(frozen=True)
class ClassifierConfig:
    """Training settings; `example_weight` counts a hand-written message as that many KB chunks.

    `l2` was chosen by 5-fold cross-validation on the hand-written examples only (each fold's
    examples held out, the KB chunks always in training): held-out log-loss 0.20 at 3e-3, 0.155
    at 1e-3, 0.135 at 3e-4, 0.130 at 1e-4 (accuracy 0.964-0.966 throughout; 1e-2 falls to 0.954),
    so 3e-4, where the loss flattens. Temperature 5 or 30 was worse; 20 no better.
    """

    temperature: float = 10.0
    l2: float = 3e-4
    iterations: int = 600
    learning_rate: float = 1.0
    example_weight: float = 2.0


class TopicClassifier:
    """P(topic | text) for the topics of one KB snapshot, plus the `none` class."""

    def __init__(self, topics: list[str], weights: FloatArray, bias: FloatArray, temperature: float) -> None:
        self.topics = topics
        self._weights = weights
        self._bias = bias
        self._temperature = temperature

    @classmethod
    def train(
        cls, kb: KnowledgeBase, examples: Examples | None = None, config: ClassifierConfig | None = None
    ) -> TopicClassifier:
        """Fit on the KB's chunk vectors and the examples (embedded with the KB's embedder). Blocking."""
        config = config or ClassifierConfig()
        examples = examples if examples is not None else Examples()
        topics = sorted({article.topic for article in kb.articles})
        labels = [*topics, NONE]
        index = {topic: i for i, topic in enumerate(labels)}
        y = [index[kb.article_topic(chunk.article_id)] for chunk in kb.chunks]
        weights = [1.0] * len(y)
        texts: list[str] = []
        for topic, questions in examples.answerable.items():
            if topic in index:
                texts.extend(questions)
                y.extend([index[topic]] * len(questions))
        texts.extend(examples.out_of_kb)
        y.extend([index[NONE]] * len(examples.out_of_kb))
        weights.extend([config.example_weight] * len(texts))
        parts = [np.asarray(kb.vectors, dtype=np.float64)]
        if texts:
            parts.append(np.asarray(kb.embedder.embed(texts), dtype=np.float64))
        known = [(index[label], vector) for label, vector in examples.embedded if label in index]
        if known and kb.embedder.dim == len(known[0][1]):
            y.extend(label for label, _v in known)
            weights.extend([config.example_weight] * len(known))
            parts.append(np.asarray([v for _l, v in known], dtype=np.float64))
        x = np.vstack(parts) if parts[0].size else np.zeros((0, kb.embedder.dim))
        w, b = _fit(x, np.asarray(y, dtype=np.int64), np.asarray(weights), len(labels), config)
        return cls(labels, w, b, config.temperature)

    def parameters(self) -> tuple[FloatArray, FloatArray, float]:
        """The fitted weights, bias and temperature (what `retrieval.classifier_cache` stores)."""
        return self._weights, self._bias, self._temperature

    def probabilities(self, vector: NDArray[Any]) -> dict[str, float]:
        """Every label's probability for one unit vector (they sum to 1)."""
        z = (
            self._temperature * (np.asarray(vector, dtype=np.float64).reshape(-1) @ self._weights)
            + self._bias
        )
        p = _softmax(z[None, :])[0]
        return {label: float(prob) for label, prob in zip(self.topics, p, strict=True)}


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def _fit(
    x: FloatArray, y: NDArray[np.int64], sample_weight: FloatArray, classes: int, config: ClassifierConfig
) -> tuple[FloatArray, FloatArray]:
    weights = np.zeros((x.shape[1], classes))
    bias = np.zeros(classes)
    if not len(x):
        return weights, bias
    target = np.eye(classes)[y]
    scale = sample_weight[:, None] / sample_weight.sum()
    t = config.temperature
    for _ in range(config.iterations):
        grad = (_softmax(t * (x @ weights) + bias) - target) * scale
        weights -= config.learning_rate * (t * (x.T @ grad) + config.l2 * weights)
        bias -= config.learning_rate * grad.sum(axis=0)
    return weights, bias
