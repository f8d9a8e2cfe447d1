"""`centinela kb build` and `centinela kb search`: the knowledge base from a terminal.

Whoever edits articles needs to see at once which files were rejected and why, and what a
question would match; these functions print exactly that. They return an exit code: non-zero
only when no article at all could be loaded (a few bad files must not fail a deploy).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from retrieval.embedders import Embedder, UsemEmbedder
from retrieval.knowledge_base import ArticleHit, KnowledgeBase


def kb_build(
    folder: Path,
    cache_dir: Path | None,
    *,
    embedder: Embedder | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Load and embed the articles of `folder` into `cache_dir`, and report what happened.

    Rejected files go to `err` (stderr), the summary to `out` (stdout).
    """
    out = out or sys.stdout
    kb = _load(folder, cache_dir, embedder, err or sys.stderr)
    if kb is None:
        return 1
    stats = kb.stats
    if stats is not None:
        print(
            f"{stats.articles} articles, {stats.chunks} chunks, index {stats.index_kind}; "
            f"embedded {stats.embedded_articles} articles ({stats.embedded_chunks} chunks), "
            f"reused {stats.reused_articles}, removed {stats.removed_articles}, in {stats.seconds:.1f} s",
            file=out,
        )
    if cache_dir is not None:
        print(f"cache: {cache_dir}", file=out)
    return 0 if len(kb) else 1


def kb_search(
    folder: Path,
    cache_dir: Path | None,
    text: str,
    k: int = 5,
    *,
    embedder: Embedder | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the k articles nearest to `text`: ranking score, best chunk score, article id, lang, title."""
    out = out or sys.stdout
    kb = _load(folder, cache_dir, embedder, err or sys.stderr)
    if kb is None or not len(kb):
        return 1
    print(format_hits(kb.search(text, k)), file=out)
    return 0


def format_hits(hits: list[ArticleHit]) -> str:
    if not hits:
        return "no matching article"
    # `score` is what hits are ranked by (rank_score); `best` is the best single chunk's similarity.
    rows = [("score", "best", "article", "lang", "title")]
    rows += [(f"{h.rank_score:.3f}", f"{h.score:.3f}", h.article_id, h.lang, h.title) for h in hits]
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)), row[4]]
        ).rstrip()
        for row in rows
    )


def _load(
    folder: Path, cache_dir: Path | None, embedder: Embedder | None, err: TextIO
) -> KnowledgeBase | None:
    try:
        kb = KnowledgeBase.build(folder, embedder or UsemEmbedder(), cache_dir=cache_dir)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=err)
        return None
    for error in kb.errors:
        print(f"rejected {error.path}: {error.reason}", file=err)
    if not len(kb):
        print(f"error: no article could be loaded from {folder}", file=err)
    return kb
