"""The on-disk cache of a knowledge base: a manifest, the chunk vectors and the FAISS index.

Embedding is the only slow part of loading a knowledge base, so vectors are kept between runs
and reused per article: the manifest records which embedder made them and, for each article,
the hash of the file they came from and the rows they occupy. A different embedder or chunking
makes the whole cache stale; an unchanged article keeps its rows.

Files are written under new names and the manifest is replaced last (`os.replace`), so a reader
in another process sees either the old cache or the new one, never a mix. A cache that cannot
be read is treated as absent: the worst outcome is re-embedding, never wrong vectors.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from retrieval.chunking import ChunkKind
from retrieval.embedders import Vectors

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CACHE_FORMAT = 1


class EmbedderIdentity(BaseModel):
    name: str
    version: str
    dim: int


class ChunkingIdentity(BaseModel):
    version: int
    max_chars: int
    min_chars: int


class CachedArticle(BaseModel):
    path: str
    content_hash: str
    first_chunk: int
    n_chunks: int


class CachedChunk(BaseModel):
    article_id: str
    kind: ChunkKind


class Manifest(BaseModel):
    """What the vectors file holds, row by row. Stable JSON: other tools may read it.

    `fingerprint` digests everything the vectors and index depend on (embedder, chunking, index
    settings, each article's id and hash in order): equal fingerprints mean nothing to redo.
    """

    format: int = CACHE_FORMAT
    embedder: EmbedderIdentity
    chunking: ChunkingIdentity
    articles: dict[str, CachedArticle]
    chunks: list[CachedChunk]
    fingerprint: str
    vectors_file: str
    index_file: str | None = None


@dataclass
class CachedVectors:
    manifest: Manifest
    vectors: Vectors
    cache_dir: Path

    def index_path(self, fingerprint: str) -> Path | None:
        """The stored index file, if it was built from exactly the vectors and settings now wanted."""
        if self.manifest.index_file is None or self.manifest.fingerprint != fingerprint:
            return None
        path = self.cache_dir / self.manifest.index_file
        return path if path.is_file() else None


def read_cache(
    cache_dir: Path, embedder: EmbedderIdentity, chunking: ChunkingIdentity
) -> CachedVectors | None:
    """The cached vectors if they were made the same way as now wanted, else None (and why, logged)."""
    manifest_path = cache_dir / MANIFEST
    if not manifest_path.is_file():
        return None
    try:
        manifest = Manifest.model_validate_json(manifest_path.read_bytes())
    except (OSError, ValidationError) as exc:
        log.warning(
            "kb cache: unreadable manifest, rebuilding", extra={"path": str(manifest_path), "error": str(exc)}
        )
        return None
    if manifest.format != CACHE_FORMAT or manifest.embedder != embedder or manifest.chunking != chunking:
        log.info(
            "kb cache: made by another embedder or chunking, re-embedding everything",
            extra={"cached": manifest.embedder.model_dump(), "wanted": embedder.model_dump()},
        )
        return None
    try:
        vectors = np.load(cache_dir / manifest.vectors_file, allow_pickle=False)
    except (OSError, ValueError) as exc:
        log.warning("kb cache: unreadable vectors, rebuilding", extra={"error": str(exc)})
        return None
    if vectors.dtype != np.float32 or vectors.shape != (len(manifest.chunks), embedder.dim):
        log.warning("kb cache: vectors do not match the manifest, rebuilding", extra={"shape": vectors.shape})
        return None
    return CachedVectors(manifest, vectors, cache_dir)


def write_cache(
    cache_dir: Path,
    manifest: Manifest,
    vectors: Vectors,
    save_index: Callable[[Path], None] | None,
    token: str,
) -> None:
    """Write vectors (and the index, via `save_index`) under `token`, then switch the manifest to them."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    manifest.vectors_file = f"vectors-{token}.npy"
    atomic_write(cache_dir / manifest.vectors_file, lambda f: np.save(f, vectors, allow_pickle=False))
    if save_index is not None and manifest.index_file is not None:
        tmp = cache_dir / f".{manifest.index_file}.tmp"
        save_index(tmp)
        os.replace(tmp, cache_dir / manifest.index_file)
    text = manifest.model_dump_json(indent=1)
    atomic_write(cache_dir / MANIFEST, lambda f: f.write(text.encode("utf-8")))
    keep = {MANIFEST, manifest.vectors_file, manifest.index_file}
    for stale in [*cache_dir.glob("vectors-*.npy"), *cache_dir.glob("index-*.faiss")]:
        if stale.name not in keep:
            stale.unlink(missing_ok=True)


def atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """`write` into a temporary file beside `path`, fsynced, then renamed over it: all or nothing."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes 0600; the service may run as another user than `kb build`
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
