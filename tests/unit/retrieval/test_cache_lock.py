"""Two builders of one KB cache folder: the second waits for the first, then reuses its vectors."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from retrieval.builder import build_knowledge_base
from retrieval.embedders import HashingEmbedder, Vectors
from tests.paths import KB_SMALL


class HeldEmbedder(HashingEmbedder):
    """Embeds only once `release` is set, and says when a call has started."""

    def __init__(self) -> None:
        super().__init__(dim=32)
        self.started = threading.Event()
        self.release = threading.Event()
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.started.set()
        assert self.release.wait(30), "the test never released the embedder"
        self.texts += len(texts)
        return super().embed(texts)


def test_a_second_builder_waits_for_the_first_and_embeds_nothing(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first_embedder, second_embedder = HeldEmbedder(), HeldEmbedder()
    second_embedder.release.set()
    built: dict[str, int] = {}

    def build(name: str, embedder: HeldEmbedder) -> None:
        built[name] = build_knowledge_base(KB_SMALL, embedder, cache_dir=cache).stats.embedded_articles

    first = threading.Thread(target=build, args=("first", first_embedder))
    first.start()
    assert first_embedder.started.wait(30)
    second = threading.Thread(target=build, args=("second", second_embedder))
    second.start()
    # While the first holds the folder, the second must not start embedding the same articles.
    assert not second_embedder.started.wait(0.5)
    first_embedder.release.set()
    first.join(30)
    second.join(30)
    assert built["first"] > 0 and built["second"] == 0
    assert second_embedder.texts == 0


def test_without_a_cache_folder_nothing_is_locked(tmp_path: Path) -> None:
    embedder = HashingEmbedder(dim=32)
    assert build_knowledge_base(KB_SMALL, embedder).stats.embedded_articles > 0
    assert list(tmp_path.iterdir()) == []
