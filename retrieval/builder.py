"""Build the searchable parts of a knowledge base, re-embedding only what changed.

Editing one article of a large base should cost one article's embeddings, not a full rebuild:
vectors are reused from the cache for every article whose file hash and chunk layout are
unchanged, new or edited articles are embedded (in one batched call), removed ones drop out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.articles import Article, LoadError, load_articles
from retrieval.cache import (
    CachedArticle,
    CachedChunk,
    CachedVectors,
    ChunkingIdentity,
    EmbedderIdentity,
    Manifest,
    read_cache,
    write_cache,
)
from retrieval.cache_lock import exclusive
from retrieval.chunking import CHUNKING_VERSION, Chunk, ChunkingConfig, chunk_article
from retrieval.embedders import Embedder, Vectors
from retrieval.index import IndexConfig, IndexKind, VectorIndex

log = logging.getLogger(__name__)

EMBED_BATCH = 512


@dataclass(frozen=True)
class BuildStats:
    """What a build did, for logs, the CLI and tests."""

    articles: int
    chunks: int
    embedded_articles: int
    reused_articles: int
    removed_articles: int
    embedded_chunks: int
    index_kind: IndexKind
    index_reused: bool
    seconds: float


@dataclass
class BuiltKnowledgeBase:
    articles: list[Article]
    errors: list[LoadError]
    chunks: list[Chunk]
    spans: dict[str, tuple[int, int]]
    vectors: Vectors
    index: VectorIndex
    stats: BuildStats


def build_knowledge_base(
    folder: Path,
    embedder: Embedder,
    *,
    cache_dir: Path | None = None,
    chunking: ChunkingConfig | None = None,
    index_config: IndexConfig | None = None,
) -> BuiltKnowledgeBase:
    """Load, chunk, embed (reusing cached vectors) and index every article below `folder`.

    One process at a time per cache folder (`cache_lock.py`): a second one then reuses the vectors.
    """
    with exclusive(cache_dir, "build"):
        started = time.perf_counter()
        chunking = chunking or ChunkingConfig()
        index_config = index_config or IndexConfig()
        loaded = load_articles(folder)
        for error in loaded.errors:
            log.warning("kb article rejected: %s", error, extra={"path": str(error.path)})

        embedder_id = EmbedderIdentity(name=embedder.name, version=embedder.version, dim=embedder.dim)
        chunking_id = ChunkingIdentity(
            version=CHUNKING_VERSION, max_chars=chunking.max_chars, min_chars=chunking.min_chars
        )
        cached = read_cache(cache_dir, embedder_id, chunking_id) if cache_dir is not None else None

        chunks: list[Chunk] = []
        spans: dict[str, tuple[int, int]] = {}
        for article in loaded.articles:
            own = chunk_article(article, chunking)
            spans[article.id] = (len(chunks), len(chunks) + len(own))
            chunks.extend(own)

        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        to_embed: list[Article] = []
        for article in loaded.articles:
            start, end = spans[article.id]
            reused = _cached_rows(cached, article, chunks[start:end])
            if reused is None:
                to_embed.append(article)
            else:
                vectors[start:end] = reused
        rows = [row for article in to_embed for row in range(*spans[article.id])]
        _embed_rows(embedder, chunks, rows, vectors)

        fingerprint = _fingerprint(embedder_id, chunking_id, index_config, len(chunks), loaded.articles)
        kind = index_config.kind_for(len(chunks))
        index_file = f"index-{fingerprint[:16]}.faiss" if kind == "hnsw" else None
        stored_index = cached.index_path(fingerprint) if cached is not None else None
        index = (
            VectorIndex.load(stored_index, index_config)
            if stored_index is not None
            else VectorIndex.build(vectors, index_config)
        )

        unchanged = (
            cached is not None
            and cached.manifest.fingerprint == fingerprint
            and (index_file is None or stored_index is not None)
        )
        if cache_dir is not None and not unchanged:
            manifest = Manifest(
                embedder=embedder_id,
                chunking=chunking_id,
                articles={
                    a.id: CachedArticle(
                        path=a.path.relative_to(folder).as_posix(),
                        content_hash=a.content_hash,
                        first_chunk=spans[a.id][0],
                        n_chunks=spans[a.id][1] - spans[a.id][0],
                    )
                    for a in loaded.articles
                },
                chunks=[CachedChunk(article_id=c.article_id, kind=c.kind) for c in chunks],
                fingerprint=fingerprint,
                vectors_file="",
                index_file=index_file,
            )
            try:
                write_cache(
                    cache_dir, manifest, vectors, index.save if index_file else None, fingerprint[:16]
                )
            except OSError as exc:
                # The knowledge base in memory is complete and correct; only the next start is slower.
                log.error("kb cache: cannot write %s: %s", cache_dir, exc)

        previous = set(cached.manifest.articles) if cached is not None else set()
        stats = BuildStats(
            articles=len(loaded.articles),
            chunks=len(chunks),
            embedded_articles=len(to_embed),
            reused_articles=len(loaded.articles) - len(to_embed),
            removed_articles=len(previous - set(spans)),
            embedded_chunks=len(rows),
            index_kind=index.kind,
            index_reused=stored_index is not None,
            seconds=time.perf_counter() - started,
        )
        if to_embed or not unchanged:
            log.info("kb built from %s", folder, extra={"kb_stats": stats})
        else:  # everything came from the cache: normal, so not worth a line at INFO
            log.debug("kb loaded from cache for %s", folder, extra={"kb_stats": stats})
        return BuiltKnowledgeBase(loaded.articles, loaded.errors, chunks, spans, vectors, index, stats)


def _cached_rows(cached: CachedVectors | None, article: Article, chunks: list[Chunk]) -> Vectors | None:
    if cached is None:
        return None
    entry = cached.manifest.articles.get(article.id)
    if entry is None or entry.content_hash != article.content_hash or entry.n_chunks != len(chunks):
        return None
    stop = entry.first_chunk + entry.n_chunks
    kinds = [c.kind for c in cached.manifest.chunks[entry.first_chunk : stop]]
    if kinds != [c.kind for c in chunks]:
        return None
    return cached.vectors[entry.first_chunk : stop]


def _embed_rows(embedder: Embedder, chunks: list[Chunk], rows: list[int], out: Vectors) -> None:
    for begin in range(0, len(rows), EMBED_BATCH):
        batch = rows[begin : begin + EMBED_BATCH]
        vectors = embedder.embed([chunks[row].text for row in batch])
        if vectors.shape != (len(batch), embedder.dim):
            raise ValueError(
                f"embedder {embedder.name} returned shape {vectors.shape} for {len(batch)} texts, "
                f"expected ({len(batch)}, {embedder.dim})"
            )
        out[batch] = vectors


def _fingerprint(
    embedder: EmbedderIdentity,
    chunking: ChunkingIdentity,
    index_config: IndexConfig,
    n_chunks: int,
    articles: list[Article],
) -> str:
    material = {
        "embedder": embedder.model_dump(),
        "chunking": chunking.model_dump(),
        "index": [index_config.kind_for(n_chunks), index_config.hnsw_m, index_config.ef_construction],
        "articles": [[a.id, a.content_hash] for a in articles],
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()
