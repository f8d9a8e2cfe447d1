"""Nearest-chunk search over unit vectors with FAISS (inner product = cosine similarity).

Below `flat_threshold` vectors the index is exact (`IndexFlatIP`): a few thousand chunks are
searched in well under a millisecond and exact scores make thresholds trustworthy. Above it,
exhaustive search grows linearly (~15 ms at 100k chunks of 512 dims on one core), so the index
switches to HNSW graph search, which stays around a millisecond at the cost of a slow build
(tens of seconds at 100k) and approximate neighbours; the knowledge base re-scores the articles
it finds exactly, so approximation can only miss a chunk, never misreport a score.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
from numpy.typing import NDArray

from retrieval.embedders import Vectors

IndexKind = Literal["flat", "hnsw"]


@dataclass(frozen=True)
class IndexConfig:
    """When to switch to HNSW and how to tune it. Search-time settings can change without a rebuild."""

    flat_threshold: int = 20_000
    ef_search: int = 64
    hnsw_m: int = 32
    ef_construction: int = 40
    # OpenMP threads for a search of a few queries. One is fastest and steadiest when many worker
    # threads search at once (measured at 10k chunks on 2 busy cores: p99 1 ms with 1 thread,
    # 21 ms with 2). Batches of `batch_queries` or more use FAISS's default.
    search_threads: int = 1
    batch_queries: int = 16

    def __post_init__(self) -> None:
        if (
            self.flat_threshold < 0
            or self.ef_search < 1
            or self.hnsw_m < 2
            or self.ef_construction < 1
            or self.search_threads < 1
        ):
            raise ValueError(f"invalid index configuration: {self}")

    def kind_for(self, n_vectors: int) -> IndexKind:
        return "flat" if n_vectors < self.flat_threshold else "hnsw"


@dataclass(frozen=True)
class SearchResult:
    """Scores and row numbers, shape (n_queries, k); missing neighbours have row -1."""

    scores: NDArray[np.float32]
    ids: NDArray[np.int64]


class VectorIndex:
    """A read-only FAISS index over a fixed set of unit vectors; rows are the vectors' positions.

    Read-only after construction, which makes concurrent `search` calls from worker threads safe.
    Changing the knowledge base builds a new index instead of mutating this one.
    """

    def __init__(self, faiss_index: Any, kind: IndexKind, config: IndexConfig) -> None:
        self._index = faiss_index
        self.kind: IndexKind = kind
        self.config = config
        if kind == "hnsw":
            self._index.hnsw.efSearch = config.ef_search

    @classmethod
    def build(cls, vectors: Vectors, config: IndexConfig | None = None) -> VectorIndex:
        config = config or IndexConfig()
        data = _as_matrix(vectors)
        dim = data.shape[1]
        kind = config.kind_for(len(data))
        if kind == "flat":
            index: Any = faiss.IndexFlatIP(dim)
        else:
            index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = config.ef_construction
        if len(data):
            index.add(data)
        return cls(index, kind, config)

    @classmethod
    def load(cls, path: Path, config: IndexConfig | None = None) -> VectorIndex:
        """Read an index written by `save`; its kind comes from the file, its search settings from config."""
        index = faiss.read_index(str(path))
        kind: IndexKind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        return cls(index, kind, config or IndexConfig())

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query_vectors: Vectors, k: int) -> SearchResult:
        """The k most similar rows for each query (one query may be a 1-D vector)."""
        queries = _as_matrix(query_vectors)
        if queries.shape[1] != self.dim:
            raise ValueError(f"query vectors have {queries.shape[1]} dimensions, the index {self.dim}")
        k = min(k, len(self))
        if k <= 0 or not len(queries):
            empty = (len(queries), 0)
            return SearchResult(np.zeros(empty, dtype=np.float32), np.zeros(empty, dtype=np.int64))
        if len(queries) >= self.config.batch_queries:
            scores, ids = self._index.search(queries, k)
        else:
            # OpenMP's thread count is per calling thread (libgomp): set it for this search only, so
            # the same worker thread still builds indexes with every core afterwards.
            previous = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(self.config.search_threads)
            try:
                scores, ids = self._index.search(queries, k)
            finally:
                faiss.omp_set_num_threads(previous)
        return SearchResult(np.asarray(scores, dtype=np.float32), np.asarray(ids, dtype=np.int64))


def _as_matrix(vectors: NDArray[Any]) -> Vectors:
    data = np.asarray(vectors, dtype=np.float32)
    if data.ndim == 1:
        data = data.reshape(1, -1)
    if data.ndim != 2:
        raise ValueError(f"expected vectors of shape (n, dim), got {data.shape}")
    return np.ascontiguousarray(data)
