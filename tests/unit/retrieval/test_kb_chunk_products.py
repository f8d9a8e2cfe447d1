"""A chunk's query vectors are scored in one product per matrix: the same KB step as row by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.chunk_row import ChunkRow
from bot.core.context import MessageContext
from retrieval.chunk_views import ChunkViews
from retrieval.embedders import UsemEmbedder
from retrieval.kb_decision import KbAnalyser
from retrieval.knowledge_base import KnowledgeBase
from retrieval.learned import DEFAULT_DIR, LearnedModels
from tests.paths import KB_SMALL
from tests.unit.retrieval.conftest import context

TEXTS = [
    "¿cómo reinicio el router?",
    "how do I restart my router?",
    "what payment methods can I use?",
    "me han cobrado dos veces la factura, es una vergüenza",
    "posso usar meu celular em outro país?",
]


def _outcome(ctx: MessageContext) -> tuple[object, ...]:
    """The KB step's fields, scores to float32 precision and the models' probabilities to 12
    places: the chunk's products and a vector's own sum in other orders (rankings, topics and
    the answer are exact)."""
    return (
        [(hit.article_id, round(hit.score, 5)) for hit in ctx.kb_candidates],
        round(ctx.kb_confidence or 0.0, 5),
        {k: round(v, 4) if isinstance(v, float) else v for k, v in ctx.kb_evidence.items()},
        ctx.kb_answer.article_id if ctx.kb_answer else None,
        {k: round(v, 12) for k, v in (ctx.model_p or {}).items()},
    )


@pytest.fixture(scope="module")
def learned() -> LearnedModels:
    return LearnedModels.load(DEFAULT_DIR)


@pytest.fixture
def chunk(usem: UsemEmbedder, kb_small_cache: Path, learned: LearnedModels) -> tuple[KbAnalyser, np.ndarray]:
    """The KB step with the shipped learned models, and `TEXTS` embedded as a helper embeds a chunk."""
    analyser = KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem, learned=learned)
    return analyser, analyser.query_embedder.embed_texts([context(text).text for text in TEXTS])


async def test_rows_of_a_chunk_decide_as_their_vectors_alone(
    chunk: tuple[KbAnalyser, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    analyser, matrix = chunk
    key = analyser.query_embedder.key
    contexts = [context(text) for text in TEXTS]
    products = 0
    real = KnowledgeBase.chunk_scores

    def counted(kb: KnowledgeBase, queries: np.ndarray) -> object:
        nonlocal products
        products += len(queries) > 1  # a vector alone is scored as a chunk of one row
        return real(kb, queries)

    monkeypatch.setattr(KnowledgeBase, "chunk_scores", counted)
    for index, ctx in enumerate(contexts):
        alone = context(ctx.message.text)
        alone.embedding = (key, matrix[index].copy())
        ctx.embedding = (key, ChunkRow(matrix, index))
        await analyser.analyse(ctx)
        await analyser.analyse(alone)
        assert _outcome(ctx) == _outcome(alone)
    assert products == 1, "one product for the chunk's five rows"
    assert any(ctx.kb_answer for ctx in contexts) and not all(ctx.kb_answer for ctx in contexts)
    again = context(TEXTS[0])
    again.embedding = (key, ChunkRow(matrix.copy(), 0))  # another chunk
    await analyser.analyse(again)
    assert products == 2


def test_example_rows_give_the_nearest_examples_of_each_vector(
    usem: UsemEmbedder, learned: LearnedModels
) -> None:
    vectors = usem.embed(TEXTS)
    sims = learned.example_similarities(vectors)
    assert sims is not None and sims.shape == (len(TEXTS), len(learned.topic_examples))
    for row, vector in zip(sims, vectors, strict=True):
        alone = learned.nearest_examples(vector)
        assert [label for label, _ in learned.nearest_of(row)] == [label for label, _ in alone]
        assert [s for _, s in learned.nearest_of(row)] == pytest.approx([s for _, s in alone], abs=1e-6)


async def test_a_chunk_reads_its_models_once_per_reach_flag(
    chunk: tuple[KbAnalyser, np.ndarray], learned: LearnedModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of a chunk have their own authors: the models run for all rows once per flag
    value asked for, and each row reads as its vector alone with its flag."""
    analyser, matrix = chunk
    kb, classifier = await analyser.current_model()
    calls: list[float] = []
    real = LearnedModels.predict_rows

    def counted(models: LearnedModels, vectors: np.ndarray, reach: float = 0.0) -> object:
        if len(vectors) > 1:  # a vector alone is read as a chunk of one row
            calls.append(reach)
        return real(models, vectors, reach)

    monkeypatch.setattr(LearnedModels, "predict_rows", counted)
    views = ChunkViews(matrix, kb, classifier, learned, analyser.policy.search_k)
    scores = views.scores
    assert scores is not None
    for index, vector in enumerate(matrix):
        reach = float(index % 2)
        row, alone = views.prediction(index, reach), learned.predict(vector, reach)
        assert row is not None
        assert list(row.flat().values()) == pytest.approx(list(alone.flat().values()), rel=1e-12, abs=1e-15)
        assert views.probabilities(index) == pytest.approx(
            classifier.probabilities(vector), rel=1e-12, abs=1e-15
        )
        assert views.hits(index, 3) == kb.search_vector(vector, 3, scores=scores[index])
    assert calls == [0.0, 1.0]  # at the chunk's first row, then at its first flagged row


def test_the_nearest_examples_of_a_chunk_are_each_rows_own_even_with_ties(learned: LearnedModels) -> None:
    """`nearest_rows` selects, then sorts the chosen few; rows with a tie at or above the cut fall
    back to the whole row's sort, so every row's order is that of `nearest_of` on it alone."""
    rng = np.random.default_rng(7)
    sims = rng.normal(size=(200, len(learned.topic_examples))).astype(np.float32)
    sims = np.round(sims, 1)  # coarse values: ties inside and across the best 7 are common
    sims[0] = 0.5  # every example equal
    order = learned.nearest_rows(sims)
    for row, alone in enumerate(sims):
        assert order[row].tolist() == np.argsort(-alone)[:7].tolist()
    distinct = np.round(rng.normal(size=(5, len(learned.topic_examples))), 6).astype(np.float32)
    assert [learned.nearest_at(distinct, learned.nearest_rows(distinct), r) for r in range(5)] == [
        learned.nearest_of(row) for row in distinct
    ]
