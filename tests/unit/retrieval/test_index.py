from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import normalise_rows
from retrieval.index import IndexConfig, VectorIndex


def unit_vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    return normalise_rows(np.random.default_rng(seed).standard_normal((n, dim)))


def test_exact_below_the_threshold_and_hnsw_above() -> None:
    config = IndexConfig(flat_threshold=100)

    assert VectorIndex.build(unit_vectors(99), config).kind == "flat"
    assert VectorIndex.build(unit_vectors(100), config).kind == "hnsw"
    assert IndexConfig().flat_threshold == 20_000 and IndexConfig().ef_search == 64


def test_flat_search_returns_inner_products_best_first() -> None:
    vectors = unit_vectors(50)
    index = VectorIndex.build(vectors)

    result = index.search(vectors[7], 5)

    assert result.ids.shape == (1, 5)
    assert result.ids[0, 0] == 7
    assert result.scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    expected = np.sort(vectors @ vectors[7])[::-1][:5]
    np.testing.assert_allclose(result.scores[0], expected, atol=1e-5)


def test_hnsw_and_flat_agree_on_the_top_hit() -> None:
    vectors = unit_vectors(2_000, dim=64, seed=1)
    queries = normalise_rows(vectors[:200] + 0.05 * unit_vectors(200, dim=64, seed=2))
    flat = VectorIndex.build(vectors, IndexConfig(flat_threshold=10_000))
    hnsw = VectorIndex.build(vectors, IndexConfig(flat_threshold=0, ef_search=64))

    exact, approx = flat.search(queries, 1), hnsw.search(queries, 1)

    assert (flat.kind, hnsw.kind) == ("flat", "hnsw")
    np.testing.assert_array_equal(exact.ids[:, 0], approx.ids[:, 0])
    np.testing.assert_allclose(exact.scores[:, 0], approx.scores[:, 0], atol=1e-5)


def test_hnsw_index_survives_save_and_load(tmp_path: Path) -> None:
    vectors = unit_vectors(300)
    index = VectorIndex.build(vectors, IndexConfig(flat_threshold=0))
    index.save(tmp_path / "index.faiss")

    loaded = VectorIndex.load(tmp_path / "index.faiss", IndexConfig(ef_search=128))

    assert loaded.kind == "hnsw" and len(loaded) == 300 and loaded.dim == 32
    np.testing.assert_array_equal(loaded.search(vectors[:10], 3).ids, index.search(vectors[:10], 3).ids)


def test_k_is_clamped_and_bad_queries_are_rejected() -> None:
    index = VectorIndex.build(unit_vectors(3))

    assert index.search(unit_vectors(2), 10).ids.shape == (2, 3)
    assert VectorIndex.build(np.zeros((0, 32), dtype=np.float32)).search(unit_vectors(1), 5).ids.shape == (
        1,
        0,
    )
    with pytest.raises(ValueError, match="dimensions"):
        index.search(unit_vectors(1, dim=16), 1)


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid index configuration"):
        IndexConfig(ef_search=0)
