"""A chunk's query vectors are scored in one product per matrix: the same KB step as row by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.chunk_row import ChunkRow
from bot.core.context import MessageContext
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
    """The KB step's fields, scores to float32 precision: the chunk's product and a vector's own
    sum in other orders (rankings, topics and the answer are exact)."""
    return (
        [(hit.article_id, round(hit.score, 5)) for hit in ctx.kb_candidates],
        round(ctx.kb_confidence or 0.0, 5),
        {k: round(v, 4) if isinstance(v, float) else v for k, v in ctx.kb_evidence.items()},
        ctx.kb_answer.article_id if ctx.kb_answer else None,
        ctx.model_p,
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
        products += 1
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
