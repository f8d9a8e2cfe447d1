from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from bot.core.models import ArticleCandidate
from retrieval.articles import topic_of
from retrieval.embedders import UsemEmbedder
from retrieval.index import IndexConfig
from retrieval.knowledge_base import KnowledgeBase
from tests.paths import KB_SMALL

from .conftest import CountingEmbedder


@pytest.fixture(scope="module")
def usem_kb(usem: UsemEmbedder) -> KnowledgeBase:
    return KnowledgeBase.build(KB_SMALL, usem)


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [
        ("se me ha ido la conexión, ¿reseteo el módem?", "es", "kb-router-reset-es"),
        ("which payment methods do you accept?", "en", "kb-payment-methods-en"),
        ("posso usar meu celular em outro país?", "pt", "kb-roaming-pt"),
    ],
)
def test_questions_in_each_language_find_their_article(
    usem_kb: KnowledgeBase, question: str, lang: str, expected: str
) -> None:
    hits = usem_kb.search(question, k=3)

    assert hits[0].topic == topic_of(expected)
    # The pipeline answers in the customer's language when the topic has that translation.
    assert usem_kb.articles_for_topic(hits[0].topic)[lang].id == expected
    assert expected in [hit.article_id for hit in hits]


def test_a_portuguese_question_finds_the_spanish_only_article(usem_kb: KnowledgeBase) -> None:
    hits = usem_kb.search("a televisão fica sem imagem, como conecto o aparelho da TV?", k=3)

    assert hits[0].article_id == "kb-tv-decoder-es"
    assert hits[0].score > hits[1].score + 0.15


def test_hits_aggregate_chunks_per_article(usem_kb: KnowledgeBase) -> None:
    hits = usem_kb.search("¿cómo reinicio el router?", k=5)

    assert len({hit.article_id for hit in hits}) == len(hits) == 5
    assert [h.rank_score for h in hits] == sorted((h.rank_score for h in hits), reverse=True)
    best = hits[0]
    assert best.article_id == "kb-router-reset-es"
    assert best.best_kind == "question" and best.best_text == "¿Cómo reinicio el router?"
    assert best.score > 0.95  # the same question, up to case
    assert best.second_score is not None and best.second_score <= best.score
    assert best.second_score <= best.rank_score <= best.score
    assert best.matches >= 2
    assert (best.lang, best.title, best.url) == (
        "es",
        "Reiniciar el router",
        "https://ayuda.auroratel.example/es/router-reset",
    )
    candidate = best.to_candidate()
    assert isinstance(candidate, ArticleCandidate)
    assert (candidate.article_id, candidate.topic, candidate.lang) == (
        "kb-router-reset-es",
        "kb-router-reset",
        "es",
    )
    assert candidate.score == best.rank_score


def test_lookup_by_id_and_translations_by_topic(usem_kb: KnowledgeBase) -> None:
    assert usem_kb.article("kb-roaming-en") is not None
    assert usem_kb.article("kb-nope") is None
    assert set(usem_kb.articles_for_topic("kb-router-reset")) == {"es", "en", "pt"}
    assert set(usem_kb.articles_for_topic("kb-tv-decoder")) == {"es"}
    assert usem_kb.articles_for_topic("kb-nope") == {}
    assert len(usem_kb) == 8 and usem_kb.errors == ()


def test_blank_text_finds_nothing(usem_kb: KnowledgeBase) -> None:
    assert usem_kb.search("   ") == []
    assert usem_kb.search_many(["", "¿cómo reinicio el router?"], k=1)[0] == []


def test_search_many_matches_search(usem_kb: KnowledgeBase) -> None:
    texts = ["how do I pay my bill?", "o roteador não liga"]

    batched = usem_kb.search_many(texts, k=3)

    for text, hits in zip(texts, batched, strict=True):
        single = usem_kb.search(text, k=3)
        assert [h.article_id for h in hits] == [h.article_id for h in single]
        np.testing.assert_allclose([h.score for h in hits], [h.score for h in single], atol=1e-5)


def test_only_the_changed_article_is_re_embedded(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache = tmp_path / "cache"
    first = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    all_texts = len(counting.texts)
    assert first.stats is not None and first.stats.embedded_articles == 8
    assert all_texts == len(first.chunks)

    counting.calls.clear()
    again = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    assert counting.texts == []
    assert again.stats is not None and again.stats.reused_articles == 8

    edited = kb_copy / "en" / "roaming-en.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Zone 2", "Zone 3"), encoding="utf-8")
    (kb_copy / "es" / "payment-methods-es.md").unlink()
    (kb_copy / "new-en.md").write_text(
        "---\nid: kb-store-hours-en\nlang: en\ntitle: Store opening hours\n"
        "url: https://ayuda.auroratel.example/en/store-hours\n---\nStores open 9 to 21.\n",
        encoding="utf-8",
    )
    counting.calls.clear()
    updated = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)

    embedded_for = {chunk.article_id for chunk in updated.chunks if chunk.text in counting.texts}
    assert embedded_for == {"kb-roaming-en", "kb-store-hours-en"}
    assert updated.stats is not None
    assert (
        updated.stats.embedded_articles,
        updated.stats.reused_articles,
        updated.stats.removed_articles,
    ) == (2, 6, 1)
    assert updated.article("kb-payment-methods-es") is None
    assert updated.search("Zone 3 Traveller Pass", k=1)[0].article_id == "kb-roaming-en"
    # Reused vectors are the ones a full rebuild would compute.
    fresh = KnowledgeBase.build(kb_copy, CountingEmbedder())
    hits, fresh_hits = updated.search("pay my bill", k=3), fresh.search("pay my bill", k=3)
    assert [(h.article_id, round(h.score, 5)) for h in hits] == [
        (h.article_id, round(h.score, 5)) for h in fresh_hits
    ]


def test_a_different_embedder_rebuilds_everything(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache = tmp_path / "cache"
    KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    other = CountingEmbedder(name="another-model")

    kb = KnowledgeBase.build(kb_copy, other, cache_dir=cache)

    assert len(other.texts) == len(kb.chunks)
    manifest = json.loads((cache / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"] == {"name": "another-model", "version": other.version, "dim": other.dim}
    assert manifest["chunks"][0] == {"article_id": kb.chunks[0].article_id, "kind": "title"}
    assert manifest["articles"]["kb-roaming-pt"]["path"] == "pt/roaming-pt.md"


def test_an_unreadable_cache_is_rebuilt_not_fatal(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache = tmp_path / "cache"
    KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    (cache / "manifest.json").write_text("{not json", encoding="utf-8")
    counting.calls.clear()

    kb = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)

    assert len(counting.texts) == len(kb.chunks)
    assert json.loads((cache / "manifest.json").read_text(encoding="utf-8"))["format"] == 1
    assert len(list(cache.glob("vectors-*.npy"))) == 1


def test_hnsw_knowledge_base_stores_and_reuses_its_index(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache, config = tmp_path / "cache", IndexConfig(flat_threshold=1)
    built = KnowledgeBase.build(kb_copy, counting, cache_dir=cache, index_config=config)

    loaded = KnowledgeBase.build(kb_copy, counting, cache_dir=cache, index_config=config)

    assert built.index_kind == loaded.index_kind == "hnsw"
    assert loaded.stats is not None and loaded.stats.index_reused
    assert len(list(cache.glob("index-*.faiss"))) == 1
    flat = KnowledgeBase.build(kb_copy, counting)
    for text in ["restart router", "pay bill card", "decodificador HDMI"]:
        assert loaded.search(text, k=1)[0].article_id == flat.search(text, k=1)[0].article_id


def test_bad_articles_are_listed_and_the_rest_is_searchable(
    kb_copy: Path, counting: CountingEmbedder
) -> None:
    (kb_copy / "broken.md").write_text("no front matter here", encoding="utf-8")

    kb = KnowledgeBase.build(kb_copy, counting)

    assert len(kb) == 8
    assert [error.path.name for error in kb.errors] == ["broken.md"]
    assert kb.search("Ways to pay your bill", k=1)[0].article_id == "kb-payment-methods-en"


def test_a_build_from_the_cache_is_not_announced_at_info(
    kb_copy: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    caplog.set_level(logging.INFO, logger="retrieval.builder")
    KnowledgeBase.build(kb_copy, CountingEmbedder(), cache_dir=cache)
    assert any("kb built from" in r.getMessage() for r in caplog.records)
    caplog.clear()
    embedder = CountingEmbedder()
    KnowledgeBase.build(kb_copy, embedder, cache_dir=cache)
    assert embedder.texts == []  # really reused
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
