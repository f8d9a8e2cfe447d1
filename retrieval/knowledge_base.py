"""The knowledge base as the pipeline sees it: articles, and a search that ranks them for a text.

Search works on chunks (title, questions, body passages) and reports articles: the nearest
chunks name candidate articles, then each candidate is re-scored exactly against all of its own
chunks. The answer decision (elsewhere) gets more than one number per article: the best chunk
score, the second-best chunk score of the same article and how many of its chunks were among the
nearest, because one lucky chunk is weaker evidence than an article that matches several ways.

A `KnowledgeBase` is immutable once built; reloading builds a new one (see `service.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.core.models import ArticleCandidate
from retrieval.articles import Article, LoadError
from retrieval.builder import BuildStats, build_knowledge_base
from retrieval.chunking import Chunk, ChunkingConfig, ChunkKind
from retrieval.embedders import Embedder, Vectors
from retrieval.index import IndexConfig, VectorIndex

DEFAULT_TOP_N = 64
# Articles are ranked by (1 - w) * best + w * second-best chunk score. On the dev set this lifts
# top-1 topic accuracy from 85% to 90% over the best chunk alone (stable for w in 0.2-0.4):
# an article that matches through two chunks beats one that matches through a single phrase.
DEFAULT_SECOND_WEIGHT = 0.3


@dataclass(frozen=True)
class ArticleHit:
    """One article found for a text, with the evidence for it. Scores are cosine similarities.

    `score` is the best chunk's similarity, `second_score` the article's next best chunk (None if
    it has one chunk), `matches` how many of its chunks were among the nearest `top_n`, and
    `rank_score` the blend of best and second-best that hits are sorted by.
    """

    article_id: str
    topic: str
    lang: str
    title: str
    url: str
    score: float
    second_score: float | None
    rank_score: float
    matches: int
    best_kind: ChunkKind
    best_text: str

    def to_candidate(self) -> ArticleCandidate:
        """The pipeline's shape for a hit; its `score` is `rank_score`, the number hits are ordered by."""
        return ArticleCandidate(
            article_id=self.article_id,
            topic=self.topic,
            lang=self.lang,
            title=self.title,
            url=self.url,
            score=self.rank_score,
        )


class KnowledgeBase:
    """Articles plus their chunk vectors and index; safe to search from several threads at once."""

    def __init__(
        self,
        *,
        folder: Path,
        embedder: Embedder,
        articles: Sequence[Article],
        chunks: Sequence[Chunk],
        spans: dict[str, tuple[int, int]],
        vectors: Vectors,
        index: VectorIndex,
        errors: Sequence[LoadError] = (),
        stats: BuildStats | None = None,
    ) -> None:
        self.folder = folder
        self.embedder = embedder
        self.errors: tuple[LoadError, ...] = tuple(errors)
        self.stats = stats
        self._articles = {article.id: article for article in articles}
        self._chunks = tuple(chunks)
        self._spans = dict(spans)
        self._vectors = vectors
        self._index = index
        self._row_article = [chunk.article_id for chunk in chunks]
        self._segments = _Segments.of(spans, len(chunks)) if index.kind == "flat" else None
        self._topics: dict[str, dict[str, Article]] = {}
        for article in articles:
            self._topics.setdefault(article.topic, {}).setdefault(article.lang, article)

    @classmethod
    def build(
        cls,
        folder: Path,
        embedder: Embedder,
        *,
        cache_dir: Path | None = None,
        chunking: ChunkingConfig | None = None,
        index_config: IndexConfig | None = None,
    ) -> KnowledgeBase:
        """Load `folder` and make it searchable; blocking (embedding), so call it off the event loop."""
        built = build_knowledge_base(
            folder, embedder, cache_dir=cache_dir, chunking=chunking, index_config=index_config
        )
        return cls(
            folder=folder,
            embedder=embedder,
            articles=built.articles,
            chunks=built.chunks,
            spans=built.spans,
            vectors=built.vectors,
            index=built.index,
            errors=built.errors,
            stats=built.stats,
        )

    @property
    def articles(self) -> list[Article]:
        return list(self._articles.values())

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        return self._chunks

    @property
    def vectors(self) -> Vectors:
        """The chunk vectors, one unit row per chunk in `chunks` order (read-only by convention)."""
        return self._vectors

    def article_topic(self, article_id: str) -> str:
        """The topic of an article of this base (KeyError if unknown)."""
        return self._articles[article_id].topic

    @property
    def index_kind(self) -> str:
        return self._index.kind

    def __len__(self) -> int:
        return len(self._articles)

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def articles_for_topic(self, topic: str) -> dict[str, Article]:
        """Every translation of a topic, by language (`{"es": ..., "en": ...}`); empty if unknown."""
        return dict(self._topics.get(topic, {}))

    def search(
        self,
        text: str,
        k: int = 5,
        *,
        top_n: int = DEFAULT_TOP_N,
        second_weight: float = DEFAULT_SECOND_WEIGHT,
    ) -> list[ArticleHit]:
        """The k articles nearest to `text`, best first. Blocking: embeds the text.

        `top_n` nearest chunks nominate the candidate articles; `second_weight` sets `rank_score`.
        """
        return self.search_many([text], k, top_n=top_n, second_weight=second_weight)[0]

    def search_many(
        self,
        texts: Sequence[str],
        k: int = 5,
        *,
        top_n: int = DEFAULT_TOP_N,
        second_weight: float = DEFAULT_SECOND_WEIGHT,
    ) -> list[list[ArticleHit]]:
        """`search` for several texts with one embedding call (cheaper per text than one by one)."""
        wanted = [i for i, text in enumerate(texts) if text.strip()]
        results: list[list[ArticleHit]] = [[] for _ in texts]
        if not wanted or not self._chunks or k <= 0:
            return results
        vectors = self.embedder.embed([texts[i] for i in wanted])
        for i, vector in zip(wanted, vectors, strict=True):
            results[i] = self.search_vector(vector, k, top_n=top_n, second_weight=second_weight)
        return results

    def search_vector(
        self,
        query: Vectors,
        k: int = 5,
        *,
        top_n: int = DEFAULT_TOP_N,
        second_weight: float = DEFAULT_SECOND_WEIGHT,
        scores: Vectors | None = None,
    ) -> list[ArticleHit]:
        """Rank articles for an already embedded query (one unit vector).

        `scores`: the query's row of `chunk_scores` (its chunk's queries scored in one product).

        On an exact (flat) index every chunk is scored by one matrix-vector product, and the
        nominees and each article's best and second-best chunk all come from it: one product
        instead of the index's scan plus one small product per candidate article (about 27 on
        the shipped KB). Rankings are those of the per-article path; scores may differ from it
        in the last bit of a float32 (BLAS sums a slice and the whole matrix in other orders).
        """
        if not self._chunks or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if self._segments is not None and len(query) == self._vectors.shape[1]:
            if scores is None:
                scores = self._vectors @ query
            return self._search_segments(self._segments, scores, k, max(top_n, 4 * k), second_weight)
        found = self._index.search(query, max(top_n, 4 * k))
        matches: dict[str, int] = {}
        for row in found.ids[0]:
            if row >= 0:
                article_id = self._row_article[row]
                matches[article_id] = matches.get(article_id, 0) + 1
        hits = [self._hit(article_id, query, count, second_weight) for article_id, count in matches.items()]
        hits.sort(key=lambda hit: (-hit.rank_score, -hit.score, hit.article_id))
        return hits[:k]

    def chunk_scores(self, queries: Vectors) -> Vectors | None:
        """Every chunk's cosine for each row of `queries` (one row each), or None when the index
        is not flat (`search_vector` then scans the index). One matrix product for a claimed
        batch's chunk reads the chunk vectors once instead of once per message."""
        if self._segments is None or not self._chunks or queries.shape[1:] != self._vectors.shape[1:]:
            return None
        product: Vectors = queries @ self._vectors.T
        return product

    def _search_segments(
        self, segments: _Segments, scores: Vectors, k: int, nominees: int, second_weight: float
    ) -> list[ArticleHit]:
        """`search_vector` on a flat index, from one product `vectors @ query` (see there)."""
        if nominees < len(scores):
            rows = np.argpartition(-scores, nominees - 1)[:nominees]
            matches = np.bincount(segments.of_row[rows], minlength=len(segments.starts))
        else:
            matches = segments.lengths
        best = np.maximum.reduceat(scores, segments.starts)
        # The first row holding its article's best score (ties: the earliest, as a stable sort).
        at_best = np.where(scores == best[segments.of_row], segments.rows, len(scores))
        best_row = np.minimum.reduceat(at_best, segments.starts)
        rest = scores.copy()
        rest[best_row] = -np.inf
        second = np.maximum.reduceat(rest, segments.starts).astype(np.float64)
        best64 = best.astype(np.float64)
        single = segments.lengths == 1
        rank = np.where(single, best64, (1 - second_weight) * best64 + second_weight * second)
        found = np.flatnonzero(matches)
        # Best first: rank score, then best chunk score, then article id (as `search_vector`).
        order = found[np.lexsort((segments.id_order[found], -best64[found], -rank[found]))][:k]
        hits: list[ArticleHit] = []
        for segment in order.tolist():
            article_id = segments.article_ids[segment]
            article = self._articles[article_id]
            chunk = self._chunks[int(best_row[segment])]
            hits.append(
                ArticleHit(
                    article_id=article_id,
                    topic=article.topic,
                    lang=article.lang,
                    title=article.title,
                    url=article.url,
                    score=float(best64[segment]),
                    second_score=None if single[segment] else float(second[segment]),
                    rank_score=float(rank[segment]),
                    matches=int(matches[segment]),
                    best_kind=chunk.kind,
                    best_text=chunk.text,
                )
            )
        return hits

    def _hit(self, article_id: str, query: Vectors, matches: int, second_weight: float) -> ArticleHit:
        start, end = self._spans[article_id]
        scores = self._vectors[start:end] @ query
        order = np.argsort(-scores, kind="stable")
        best = int(order[0])
        article = self._articles[article_id]
        chunk = self._chunks[start + best]
        score = float(scores[best])
        second = float(scores[order[1]]) if len(order) > 1 else None
        return ArticleHit(
            article_id=article_id,
            topic=article.topic,
            lang=article.lang,
            title=article.title,
            url=article.url,
            score=score,
            second_score=second,
            rank_score=score if second is None else (1 - second_weight) * score + second_weight * second,
            matches=matches,
            best_kind=chunk.kind,
            best_text=chunk.text,
        )


@dataclass(frozen=True)
class _Segments:
    """The chunk rows cut into articles, for scoring every article from one product.

    Built only when the articles' spans tile the rows in order with no gap (as the builder
    lays them out); otherwise search keeps the per-article path.
    """

    article_ids: tuple[str, ...]
    starts: NDArray[np.intp]
    lengths: NDArray[np.intp]
    of_row: NDArray[np.intp]
    rows: NDArray[np.intp]
    id_order: NDArray[np.intp]

    @classmethod
    def of(cls, spans: dict[str, tuple[int, int]], n_rows: int) -> _Segments | None:
        ordered = sorted((span, article_id) for article_id, span in spans.items() if span[1] > span[0])
        if not ordered or ordered[0][0][0] != 0 or ordered[-1][0][1] != n_rows:
            return None
        if any(a[0][1] != b[0][0] for a, b in pairwise(ordered)):
            return None
        ids = tuple(article_id for _span, article_id in ordered)
        starts = np.array([span[0] for span, _id in ordered], dtype=np.intp)
        lengths = np.array([span[1] - span[0] for span, _id in ordered], dtype=np.intp)
        by_id = sorted(range(len(ids)), key=ids.__getitem__)
        id_order = np.empty(len(ids), dtype=np.intp)
        id_order[by_id] = np.arange(len(ids))
        return cls(
            article_ids=ids,
            starts=starts,
            lengths=lengths,
            of_row=np.repeat(np.arange(len(ids), dtype=np.intp), lengths),
            rows=np.arange(n_rows, dtype=np.intp),
            id_order=id_order,
        )
