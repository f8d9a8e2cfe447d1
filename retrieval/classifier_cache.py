"""The KB topic classifier's fitted weights, kept beside the KB's vectors between starts.

Why: training is deterministic but costs seconds of CPU at every start (the issue measured
3.5 s, up to 7.7 s wall on the shared machine), during which the first messages wait. The
weights depend only on what training reads, so they are stored under a digest of exactly
that: the KB's chunk vectors and topics, the examples (texts and shipped vectors), the
embedder that made the vectors, the training settings and the training code itself. Any
change makes a new digest and a new training; an unreadable file is trained again, never
trusted. Loading the stored float64 arrays gives bit-identical probabilities.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

import numpy as np

from retrieval import kb_classifier
from retrieval.cache import atomic_write
from retrieval.cache_lock import exclusive
from retrieval.kb_classifier import ClassifierConfig, Examples, TopicClassifier
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

PREFIX = "classifier-"
KEEP = 3  # weight files kept per cache folder (see `_prune`)


def classifier_digest(kb: KnowledgeBase, examples: Examples, config: ClassifierConfig) -> str:
    """A digest of everything `TopicClassifier.train` reads, its own code included."""
    digest = hashlib.sha256()
    digest.update(Path(kb_classifier.__file__).read_bytes())
    embedder = kb.embedder
    meta = {
        "embedder": [embedder.name, embedder.version, embedder.dim],
        "config": asdict(config),
        "chunk_topics": [kb.article_topic(chunk.article_id) for chunk in kb.chunks],
        "topics": sorted({article.topic for article in kb.articles}),
        "answerable": examples.answerable,
        "out_of_kb": examples.out_of_kb,
        "embedded_labels": [label for label, _vector in examples.embedded],
    }
    digest.update(json.dumps(meta, sort_keys=True, ensure_ascii=False).encode("utf-8"))
    digest.update(np.ascontiguousarray(kb.vectors).tobytes())
    for _label, vector in examples.embedded:
        digest.update(np.ascontiguousarray(vector).tobytes())
    return digest.hexdigest()


def trained_classifier(
    kb: KnowledgeBase,
    examples: Examples,
    cache_dir: Path | None,
    config: ClassifierConfig | None = None,
) -> TopicClassifier:
    """The classifier for `kb`: from `cache_dir` when trained on the same inputs, else trained now."""
    config = config or ClassifierConfig()
    if cache_dir is None:
        return TopicClassifier.train(kb, examples, config)
    path = cache_dir / f"{PREFIX}{classifier_digest(kb, examples, config)[:32]}.npz"
    with exclusive(cache_dir, "classifier"):  # a second process waits, then reads the first's weights
        stored = _read(path, kb.embedder.dim)
        if stored is not None:
            return stored
        classifier = TopicClassifier.train(kb, examples, config)
        _write(path, classifier)
        return classifier


def _read(path: Path, dim: int) -> TopicClassifier | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            topics = [str(t) for t in data["topics"]]
            weights, bias = data["weights"], data["bias"]
            temperature = float(data["temperature"])
    except (OSError, ValueError, KeyError) as exc:
        log.warning(
            "kb classifier cache unreadable, training again", extra={"path": str(path), "error": str(exc)}
        )
        return None
    if weights.shape != (weights.shape[0], len(topics)) or bias.shape != (len(topics),):
        log.warning(
            "kb classifier cache does not match its topics, training again", extra={"path": str(path)}
        )
        return None
    return TopicClassifier(topics, weights, bias, temperature)


def _write(path: Path, classifier: TopicClassifier) -> None:
    """Store the weights (best effort: a read-only cache folder costs a training, not a start)."""
    weights, bias, temperature = classifier.parameters()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(
            path,
            lambda f: np.savez(
                f,
                topics=np.asarray(classifier.topics),
                weights=weights,
                bias=bias,
                temperature=np.asarray(temperature),
            ),
        )
    except OSError as exc:
        log.warning("kb classifier cache not written", extra={"path": str(path), "error": str(exc)})
        return
    _prune(path.parent, keep=path)


def _prune(folder: Path, keep: Path) -> None:
    """Drop all but the newest few weight files: during a rolling deploy the old and the new
    release (other training code or examples) start in turn on one cache, and each would
    otherwise delete the other's weights and train again at every start."""
    older = sorted((p for p in folder.glob(f"{PREFIX}*.npz") if p != keep), key=_mtime, reverse=True)
    for stale in older[KEEP - 1 :]:
        stale.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile by another process
        return 0.0
