"""The service path with text reading in helper processes decides exactly as the inline path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.recording.adapter import RecordingAdapter, RecordingConfig
from bot.cli.traffic import read_messages
from bot.core.models import Decision
from bot.engine.runtime import Extensions, Runtime, build_pipeline
from bot.pipeline.pipeline import event_clock
from bot.reading.text_reading import TextReader
from bot.store.sqlite import SqliteStore
from retrieval.embedders import HashingEmbedder
from retrieval.kb_decision import KbAnalyser
from tests.conftest import eventually, settings_for
from tests.paths import SAMPLE_KB
from tests.paths import SAMPLE_TRAFFIC as SAMPLES
from tests.unit.retrieval.conftest import CountingEmbedder


def _with_kb(tmp_path: Path, embedder: HashingEmbedder | None = None) -> Extensions:
    """The KB step on the sample KB (a hashing embedder: the same vectors in every process)."""
    kb = KbAnalyser(SAMPLE_KB, cache_dir=tmp_path / "kb-cache", embedder=embedder or HashingEmbedder(dim=128))
    return Extensions(analysers=[kb], embedder=kb.query_embedder)


async def _decide_all(
    tmp_path: Path, reading_processes: int, *, kb: bool = False, extensions: Extensions | None = None
) -> dict[str, tuple[object, ...]]:
    settings = settings_for(tmp_path, reading_processes=reading_processes, batch_size=8)
    if extensions is None and kb:
        extensions = _with_kb(tmp_path)
    if extensions is not None and extensions.kb is not None:
        await extensions.kb.knowledge_base()  # as the service's warm-up does before traffic
    items, _ = read_messages(SAMPLES)
    messages = [item.message for item in items]
    store = SqliteStore(tmp_path / "store.sqlite3")
    await store.open()
    decided: list[Decision] = []
    runtime = Runtime(
        settings,
        store,
        build_pipeline(settings, store, clock=event_clock, extensions=extensions),
        {"*": RecordingAdapter(RecordingConfig(path=tmp_path / "published.jsonl"))},
        on_decision=decided.append,
    )
    await runtime.start()
    try:
        await runtime.ingest(messages)

        async def all_decided() -> bool:
            return len(decided) == len(messages) and await store.queue_depth() == 0

        await eventually(all_decided, timeout=30)
    finally:
        await runtime.stop()
        await store.close()
    return {
        d.message_key: (
            d.action,
            d.rule,
            d.language,
            d.sentiment,
            tuple(d.intents),
            tuple(d.risks),
            round(d.confidence, 6),
            tuple(c.article_id for c in d.candidates),
        )
        for d in decided
    }


async def test_helpers_decide_like_the_inline_path(tmp_path: Path) -> None:
    inline = await _decide_all(tmp_path / "inline", reading_processes=0)
    helped = await _decide_all(tmp_path / "helped", reading_processes=1)
    assert len(inline) == 30
    assert helped == inline
    assert {action for action, *_ in inline.values()} == {"case", "crisis", "agent", "monitor"}


async def test_helpers_embed_and_decide_like_the_inline_path_with_the_kb_on(tmp_path: Path) -> None:
    inline = await _decide_all(tmp_path / "inline", reading_processes=0, kb=True)
    helped = await _decide_all(tmp_path / "helped", reading_processes=1, kb=True)
    assert len(inline) == 30
    assert helped == inline
    assert sum(1 for *_rest, candidates in inline.values() if candidates) >= 20, "the KB step ran"


async def test_with_the_kb_on_the_worker_neither_reads_nor_embeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[TextReader] = []
    real_init = TextReader.__init__

    def counting_init(self: TextReader, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(TextReader, "__init__", counting_init)  # this process only, not the helper
    counting = CountingEmbedder()
    kb = KbAnalyser(SAMPLE_KB, cache_dir=tmp_path / "kb-cache", embedder=counting, queries_elsewhere=True)
    extensions = Extensions(analysers=[kb], embedder=kb.query_embedder, kb=kb)
    await kb.knowledge_base()
    at_start = len(counting.calls)
    decided = await _decide_all(tmp_path / "helped", reading_processes=1, extensions=extensions)
    assert len(decided) == 30
    assert sum(1 for *_rest, candidates in decided.values() if candidates) >= 20, "the KB step ran"
    assert built == [], "no language models loaded in the worker process"
    assert len(counting.calls) == at_start, "every message was embedded by the helper"
