from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from blockbuster import blockbuster_ctx

from retrieval.embedders import Vectors
from retrieval.service import AsyncKnowledgeBase

from .conftest import CountingEmbedder

NEW_ARTICLE = (
    "---\nid: kb-store-hours-en\nlang: en\ntitle: Store opening hours\n"
    "url: https://ayuda.auroratel.example/en/store-hours\n"
    "questions:\n  - When are your stores open?\n---\nAurora stores open from 9 to 21, Monday to Saturday.\n"
)


class GatedEmbedder(CountingEmbedder):
    """Holds any batch that contains `gate_text` until released, to freeze a reload mid-build."""

    def __init__(self, gate_text: str) -> None:
        super().__init__()
        self.gate_text = gate_text
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.gate_text in texts:
            self.entered.set()
            self.release.wait(10)
        return super().embed(texts)


@pytest.fixture(autouse=True)
def no_blocking_in_the_loop() -> Iterator[None]:
    """Fail the test if retrieval code does file I/O, sleeps or waits on a lock inside the event loop."""
    with blockbuster_ctx(["retrieval"]):
        yield


async def test_search_runs_off_the_loop(kb_copy: Path, tmp_path: Path, counting: CountingEmbedder) -> None:
    service = await AsyncKnowledgeBase.open(kb_copy, counting, cache_dir=tmp_path / "cache")

    hits = await service.search("Ways to pay your bill", k=2)
    batched = await service.search_many(["Ways to pay your bill", "Restart the router"], k=1)

    assert hits[0].article_id == "kb-payment-methods-en"
    assert [h[0].article_id for h in batched] == ["kb-payment-methods-en", "kb-router-reset-en"]
    assert service.article("kb-roaming-pt") is not None
    assert set(service.articles_for_topic("kb-router-reset")) == {"es", "en", "pt"}


async def test_reload_swaps_in_the_new_base_only_when_it_is_complete(kb_copy: Path, tmp_path: Path) -> None:
    embedder = GatedEmbedder(gate_text="Store opening hours")
    service = await AsyncKnowledgeBase.open(kb_copy, embedder, cache_dir=tmp_path / "cache")
    old = service.kb
    await asyncio.to_thread((kb_copy / "store-hours-en.md").write_text, NEW_ARTICLE, encoding="utf-8")

    reload = asyncio.create_task(service.reload())
    assert await asyncio.to_thread(embedder.entered.wait, 10), "the reload never started embedding"

    # Mid-build, traffic is served by the old base, complete and unchanged.
    during = await asyncio.gather(*(service.search("Store opening hours?", k=3) for _ in range(20)))
    assert service.kb is old and len(old) == 8
    assert all("kb-store-hours-en" not in [h.article_id for h in hits] for hits in during)
    assert not reload.done()

    embedder.release.set()
    new = await reload

    assert service.kb is new and len(new) == 9
    assert (await service.search("Store opening hours?", k=1))[0].article_id == "kb-store-hours-en"
    assert new.stats is not None and new.stats.embedded_articles == 1  # the rest came from the cache
    assert len(old) == 8 and old.article("kb-store-hours-en") is None  # snapshots never change


async def test_a_failed_reload_keeps_the_current_base(kb_copy: Path, counting: CountingEmbedder) -> None:
    service = await AsyncKnowledgeBase.open(kb_copy, counting)
    current = service.kb
    await asyncio.to_thread(shutil.rmtree, kb_copy)

    with pytest.raises(FileNotFoundError):
        await service.reload()

    assert service.kb is current
    assert (await service.search("Restart the router", k=1))[0].article_id == "kb-router-reset-en"


async def test_reload_if_changed_ignores_touches_and_picks_up_edits(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    service = await AsyncKnowledgeBase.open(kb_copy, counting, cache_dir=tmp_path / "cache")
    first = service.kb
    target = kb_copy / "tv-decoder-es.md"

    assert await service.reload_if_changed() is False

    stat = await asyncio.to_thread(target.stat)
    await asyncio.to_thread(os.utime, target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    counting.calls.clear()
    assert await service.reload_if_changed() is False  # same bytes: nothing to rebuild
    assert service.kb is first and counting.calls == []

    text = await asyncio.to_thread(target.read_text, encoding="utf-8")
    await asyncio.to_thread(target.write_text, text.replace("HDMI", "HDMI 2.1"), encoding="utf-8")
    assert await service.reload_if_changed() is True
    assert service.kb is not first
    assert {c.article_id for c in service.kb.chunks if c.text in counting.texts} == {"kb-tv-decoder-es"}
    assert await service.reload_if_changed() is False
