"""The topic classifier's weights are stored with the KB cache and reused only for the same inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.classifier_cache import KEEP, PREFIX, trained_classifier
from retrieval.kb_classifier import ClassifierConfig, Examples
from retrieval.kb_decision import WARM_UP_TEXT, KbAnalyser
from retrieval.knowledge_base import KnowledgeBase
from tests.unit.retrieval.conftest import CountingEmbedder

EXAMPLES = Examples(answerable={"router-restart": ["¿cómo reinicio el router?"]}, out_of_kb=["¿IP fija?"])


def _stored(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{PREFIX}*.npz"))


@pytest.fixture
def built(kb_copy: Path, tmp_path: Path, counting: CountingEmbedder) -> tuple[KnowledgeBase, Path]:
    """The small KB built with the counting embedder, and the cache folder it uses."""
    cache = tmp_path / "cache"
    return KnowledgeBase.build(kb_copy, counting, cache_dir=cache), cache


def test_the_second_start_loads_the_same_weights_without_training(
    built: tuple[KnowledgeBase, Path], counting: CountingEmbedder
) -> None:
    kb, cache = built
    first = trained_classifier(kb, EXAMPLES, cache)
    assert len(_stored(cache)) == 1
    counting.calls.clear()
    second = trained_classifier(kb, EXAMPLES, cache)
    assert counting.calls == [], "no training: the example texts were not embedded again"
    (w1, b1, t1), (w2, b2, t2) = first.parameters(), second.parameters()
    assert np.array_equal(w1, w2) and np.array_equal(b1, b2) and t1 == t2
    vector = counting.embed(["se me cortó internet"])[0]
    assert first.probabilities(vector) == second.probabilities(vector)


def test_other_inputs_train_again_and_store_their_own_weights(
    built: tuple[KnowledgeBase, Path], kb_copy: Path, counting: CountingEmbedder
) -> None:
    kb, cache = built
    trained_classifier(kb, EXAMPLES, cache)
    before = _stored(cache)
    trained_classifier(kb, EXAMPLES, cache, ClassifierConfig(iterations=10))
    after = _stored(cache)
    assert len(after) == 2 and set(before) < set(after), "new settings: trained and stored beside"
    article = next(kb_copy.rglob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nUn párrafo nuevo sobre el módem.\n")
    edited = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    counting.calls.clear()
    trained_classifier(edited, EXAMPLES, cache)
    assert any("¿IP fija?" in call for call in counting.calls), "an edited KB is trained again"


def test_an_unreadable_store_is_trained_again(
    kb_copy: Path, tmp_path: Path, counting: CountingEmbedder
) -> None:
    cache = tmp_path / "cache"
    kb = KnowledgeBase.build(kb_copy, counting, cache_dir=cache)
    good = trained_classifier(kb, EXAMPLES, cache)
    (stored,) = _stored(cache)
    stored.write_bytes(b"not a numpy file")
    again = trained_classifier(kb, EXAMPLES, cache)
    assert np.array_equal(again.parameters()[0], good.parameters()[0])
    assert stored.read_bytes() != b"not a numpy file", "rewritten"


async def test_the_kb_step_starts_from_the_stored_classifier(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = CountingEmbedder()
    await KbAnalyser(kb_copy, cache_dir=cache, embedder=first).knowledge_base()
    assert first.calls, "the first start embeds the KB and the examples"
    second = CountingEmbedder()
    analyser = KbAnalyser(kb_copy, cache_dir=cache, embedder=second)
    await analyser.knowledge_base()
    # Nothing of the KB or the examples: vectors and classifier come from the cache. One sentence
    # is embedded so that the encoder is loaded before the first customer's message.
    assert second.calls == [[WARM_UP_TEXT]]


def test_two_releases_starting_in_turn_keep_both_weights_and_only_the_newest_few_stay(
    built: tuple[KnowledgeBase, Path], counting: CountingEmbedder
) -> None:
    kb, cache = built
    old_release, new_release = ClassifierConfig(iterations=10), ClassifierConfig(iterations=20)
    trained_classifier(kb, EXAMPLES, cache, old_release)
    trained_classifier(kb, EXAMPLES, cache, new_release)
    counting.calls.clear()
    trained_classifier(kb, EXAMPLES, cache, old_release)
    trained_classifier(kb, EXAMPLES, cache, new_release)
    assert counting.calls == [], "a rolling deploy's restarts load their weights, neither trains again"
    for iterations in (30, 40, 50):
        trained_classifier(kb, EXAMPLES, cache, ClassifierConfig(iterations=iterations))
    assert len(_stored(cache)) == KEEP


class ReleasingEmbedder(CountingEmbedder):
    """A counting embedder that also counts how often its model was released."""

    def __init__(self) -> None:
        super().__init__()
        self.releases = 0

    def release(self) -> None:
        self.releases += 1


async def test_with_the_helpers_embedding_no_encoder_is_kept_here(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cold = ReleasingEmbedder()
    await KbAnalyser(kb_copy, cache_dir=cache, embedder=cold, queries_elsewhere=True).knowledge_base()
    assert cold.calls and cold.releases == 1, "built from a cold cache, then let go"
    warm = ReleasingEmbedder()
    await KbAnalyser(kb_copy, cache_dir=cache, embedder=warm, queries_elsewhere=True).knowledge_base()
    assert warm.calls == [], "from a warm cache: no warm-up sentence, the encoder is never loaded"
