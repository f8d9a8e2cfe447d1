"""The knowledge base for async code: searches and reloads that never block the event loop.

Embedding a text and searching FAISS take milliseconds of CPU, and a reload takes seconds to
minutes, so all of it runs in worker threads. A reload builds a complete new `KnowledgeBase` in
a thread and then replaces the reference in one assignment on the loop: a search in flight
keeps the snapshot it started with, and no search ever sees a half-built index. Reloads are
serialised, so two triggers at once cost one extra build, not a race.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.articles import Article
from retrieval.chunking import ChunkingConfig
from retrieval.embedders import Embedder
from retrieval.index import IndexConfig
from retrieval.knowledge_base import DEFAULT_SECOND_WEIGHT, DEFAULT_TOP_N, ArticleHit, KnowledgeBase

log = logging.getLogger(__name__)

FileStats = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class FolderState:
    """What the folder looked like when a knowledge base was built from it.

    `stats` (mtime, size per file) is cheap to compare on every poll; `hashes` decide whether a
    changed mtime is a real edit or just a touch / a copy with the same content.
    """

    stats: FileStats = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)


def folder_stats(folder: Path) -> FileStats:
    stats: FileStats = {}
    for path in folder.rglob("*.md"):
        try:
            info = path.stat()
        except OSError:
            continue  # removed while scanning: the next poll sees the folder as it settles
        stats[path.relative_to(folder).as_posix()] = (info.st_mtime_ns, info.st_size)
    return stats


def folder_state(folder: Path) -> FolderState:
    stats = folder_stats(folder)
    hashes: dict[str, str] = {}
    for name in stats:
        try:
            hashes[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        except OSError:
            continue
    return FolderState(stats, hashes)


class AsyncKnowledgeBase:
    """Async facade over the current `KnowledgeBase`; create it with `await AsyncKnowledgeBase.open(...)`."""

    def __init__(
        self,
        kb: KnowledgeBase,
        state: FolderState,
        *,
        cache_dir: Path | None = None,
        chunking: ChunkingConfig | None = None,
        index_config: IndexConfig | None = None,
    ) -> None:
        self._kb = kb
        self._state = state
        self._cache_dir = cache_dir
        self._chunking = chunking
        self._index_config = index_config
        self._reload_lock = asyncio.Lock()

    @classmethod
    async def open(
        cls,
        folder: Path,
        embedder: Embedder,
        *,
        cache_dir: Path | None = None,
        chunking: ChunkingConfig | None = None,
        index_config: IndexConfig | None = None,
    ) -> AsyncKnowledgeBase:
        kb, state = await asyncio.to_thread(_build, folder, embedder, cache_dir, chunking, index_config)
        return cls(kb, state, cache_dir=cache_dir, chunking=chunking, index_config=index_config)

    @property
    def kb(self) -> KnowledgeBase:
        """The current snapshot. Hold on to it to make several calls against one consistent base."""
        return self._kb

    async def search(
        self,
        text: str,
        k: int = 5,
        *,
        top_n: int = DEFAULT_TOP_N,
        second_weight: float = DEFAULT_SECOND_WEIGHT,
    ) -> list[ArticleHit]:
        """`KnowledgeBase.search` in a worker thread, on the snapshot current when called."""
        kb = self._kb
        return await asyncio.to_thread(kb.search, text, k, top_n=top_n, second_weight=second_weight)

    async def search_many(
        self,
        texts: Sequence[str],
        k: int = 5,
        *,
        top_n: int = DEFAULT_TOP_N,
        second_weight: float = DEFAULT_SECOND_WEIGHT,
    ) -> list[list[ArticleHit]]:
        """Several texts with one embedding call: cheaper per text when a batch is at hand."""
        kb = self._kb
        return await asyncio.to_thread(
            kb.search_many, list(texts), k, top_n=top_n, second_weight=second_weight
        )

    def article(self, article_id: str) -> Article | None:
        return self._kb.article(article_id)

    def articles_for_topic(self, topic: str) -> dict[str, Article]:
        return self._kb.articles_for_topic(topic)

    async def reload(self) -> KnowledgeBase:
        """Rebuild from the folder (reusing cached vectors) and switch to the result when complete.

        If the build fails (folder gone, embedder error), the current base stays in service and the
        error propagates to the caller.
        """
        async with self._reload_lock:
            current = self._kb
            kb, state = await asyncio.to_thread(
                _build, current.folder, current.embedder, self._cache_dir, self._chunking, self._index_config
            )
            self._kb, self._state = kb, state
            log.info(
                "kb reloaded",
                extra={"articles": len(kb), "rejected": len(kb.errors), "kb_stats": kb.stats},
            )
            return kb

    async def reload_if_changed(self) -> bool:
        """Reload if any article file was added, removed or edited since the last build; True if so."""
        async with self._reload_lock:
            folder, known = self._kb.folder, self._state
            stats = await asyncio.to_thread(folder_stats, folder)
            if stats == known.stats:
                return False
            state = await asyncio.to_thread(folder_state, folder)
            if state.hashes == known.hashes:
                self._state = state
                return False
        await self.reload()
        return True


def _build(
    folder: Path,
    embedder: Embedder,
    cache_dir: Path | None,
    chunking: ChunkingConfig | None,
    index_config: IndexConfig | None,
) -> tuple[KnowledgeBase, FolderState]:
    # The state is taken before reading the articles: an edit made during the build then shows
    # up as a change at the next poll instead of being missed.
    state = folder_state(folder)
    kb = KnowledgeBase.build(
        folder, embedder, cache_dir=cache_dir, chunking=chunking, index_config=index_config
    )
    return kb, state
