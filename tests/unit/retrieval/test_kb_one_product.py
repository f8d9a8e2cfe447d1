"""Search on a flat index scores every article from one product: the same hits as article by article.

The reference below is the per-article rule written out in plain Python over the same chunk
scores: the `top_n` nearest chunks nominate articles, each article's best and second-best
chunk come from a stable sort of its own chunks, hits sort by rank score, best score, id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.embedders import HashingEmbedder, UsemEmbedder
from retrieval.index import IndexConfig
from retrieval.knowledge_base import ArticleHit, KnowledgeBase
from tests.paths import KB_SMALL

TEXTS = [
    "¿cómo reinicio el router?",
    "which payment methods do you accept?",
    "posso usar meu celular em outro país?",
    "la tele no tiene imagen",
    "factura duplicada este mes",
    "router",
    "x",
]


Row = tuple[str, float, float | None, float, int, str]


def _reference(kb: KnowledgeBase, query: np.ndarray, k: int, top_n: int, w: float) -> list[Row] | None:
    """(id, score, second, rank, matches, best text) per hit; None when a tie straddles the top_n cut."""
    scores = [float(s) for s in kb.vectors @ query]
    ranked = sorted(range(len(scores)), key=lambda row: -scores[row])
    n = min(max(top_n, 4 * k), len(scores))
    if n < len(scores) and scores[ranked[n - 1]] == scores[ranked[n]]:
        return None  # which of the tied chunks is nominated is not specified
    matches: dict[str, int] = {}
    for row in ranked[:n]:
        article_id = kb.chunks[row].article_id
        matches[article_id] = matches.get(article_id, 0) + 1
    hits: list[Row] = []
    for article_id, count in matches.items():
        rows = [row for row, chunk in enumerate(kb.chunks) if chunk.article_id == article_id]
        own = sorted(rows, key=lambda row: -scores[row])  # stable: the earliest of equal scores first
        best = scores[own[0]]
        second = scores[own[1]] if len(own) > 1 else None
        rank = best if second is None else (1 - w) * best + w * second
        hits.append((article_id, best, second, rank, count, kb.chunks[own[0]].text))
    hits.sort(key=lambda h: (-h[3], -h[1], h[0]))
    return hits[:k]


def _as_tuples(hits: list[ArticleHit]) -> list[Row]:
    return [(h.article_id, h.score, h.second_score, h.rank_score, h.matches, h.best_text) for h in hits]


@pytest.fixture(scope="module")
def hashing_kb() -> KnowledgeBase:
    # Hashing vectors share buckets, so equal scores (ties) are common: the tie rules are tested.
    return KnowledgeBase.build(KB_SMALL, HashingEmbedder(dim=32))


@pytest.mark.parametrize(("k", "top_n", "weight"), [(5, 64, 0.3), (1, 2, 0.3), (3, 6, 0.0), (10, 1, 1.0)])
def test_one_product_gives_the_per_article_hits(
    hashing_kb: KnowledgeBase, k: int, top_n: int, weight: float
) -> None:
    assert hashing_kb.index_kind == "flat"
    queries = hashing_kb.embedder.embed(TEXTS + [c.text for c in hashing_kb.chunks[::3]])
    compared = 0
    for query in queries:
        expected = _reference(hashing_kb, query, k, top_n, weight)
        if expected is None:
            continue
        compared += 1
        assert _as_tuples(hashing_kb.search_vector(query, k, top_n=top_n, second_weight=weight)) == expected

    assert compared >= len(queries) // 2


def test_an_article_with_one_chunk_has_no_second_score(hashing_kb: KnowledgeBase) -> None:
    query = hashing_kb.embedder.embed(["router"])[0]
    hits = hashing_kb.search_vector(query, k=len(hashing_kb))
    chunks_of = {a.id: sum(c.article_id == a.id for c in hashing_kb.chunks) for a in hashing_kb.articles}

    assert hits and all((h.second_score is None) == (chunks_of[h.article_id] == 1) for h in hits)


def test_the_index_path_ranks_as_the_one_product(kb_small: Path, usem: UsemEmbedder) -> None:
    flat = KnowledgeBase.build(kb_small, usem)
    graph = KnowledgeBase.build(kb_small, usem, index_config=IndexConfig(flat_threshold=1))
    assert (flat.index_kind, graph.index_kind) == ("flat", "hnsw")

    for query in usem.embed(TEXTS):
        one, per_article = flat.search_vector(query, 5), graph.search_vector(query, 5)
        assert [h.article_id for h in one] == [h.article_id for h in per_article]
        assert [h.matches for h in one] == [h.matches for h in per_article]
        np.testing.assert_allclose(
            [h.rank_score for h in one], [h.rank_score for h in per_article], atol=1e-6
        )


def test_search_many_ranks_each_text_as_search(hashing_kb: KnowledgeBase) -> None:
    batched = hashing_kb.search_many(TEXTS, k=4)

    assert [_as_tuples(hits) for hits in batched] == [_as_tuples(hashing_kb.search(t, k=4)) for t in TEXTS]


def test_a_row_of_chunk_scores_gives_the_hits_of_its_query(hashing_kb: KnowledgeBase) -> None:
    queries = hashing_kb.embedder.embed(TEXTS)
    scores = hashing_kb.chunk_scores(queries)
    assert scores is not None and scores.shape == (len(TEXTS), len(hashing_kb.chunks))
    for query, row in zip(queries, scores, strict=True):
        alone = _as_tuples(hashing_kb.search_vector(query, 5))
        from_row = _as_tuples(hashing_kb.search_vector(query, 5, scores=row))
        assert [h[0] for h in from_row] == [h[0] for h in alone]
        assert [h[3] for h in from_row] == pytest.approx([h[3] for h in alone], abs=1e-6)
