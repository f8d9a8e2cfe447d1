"""The KB step on the small test KB with the real embedder: right article, or no answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.core.models import Channel
from retrieval.answer_policy import AnswerPolicy
from retrieval.embedders import UsemEmbedder
from retrieval.kb_decision import KbAnalyser
from retrieval.learned.models import LearnedModels, LinearModel
from tests.paths import KB_SMALL
from tests.unit.retrieval.conftest import context


@pytest.mark.parametrize(
    ("text", "article"),
    [
        ("¿cómo reinicio el router?", "kb-router-reset-es"),
        ("how do I restart my router?", "kb-router-reset-en"),
        ("Olá, como eu faço para reiniciar o roteador da minha casa?", "kb-router-reset-pt"),
        ("what payment methods can I use?", "kb-payment-methods-en"),
        ("how much does roaming cost in Europe?", "kb-roaming-en"),
    ],
)
async def test_a_question_in_each_language_gets_its_article(
    analyser: KbAnalyser, text: str, article: str
) -> None:
    ctx = context(text)
    await analyser.analyse(ctx)
    assert ctx.kb_answer is not None
    assert ctx.kb_answer.article_id == article
    assert ctx.kb_answer.summary
    assert ctx.kb_confidence is not None and ctx.kb_confidence >= analyser.policy.min_confidence


async def test_portuguese_question_with_spanish_only_article_gets_the_spanish_one(
    analyser: KbAnalyser,
) -> None:
    ctx = context("Olá, como eu conecto o decodificador na televisão?")
    await analyser.analyse(ctx)
    assert ctx.language == "pt"
    assert ctx.kb_answer is not None
    assert (ctx.kb_answer.article_id, ctx.kb_answer.lang) == ("kb-tv-decoder-es", "es")


async def test_missing_language_falls_back_to_the_primary_language(analyser: KbAnalyser) -> None:
    ctx = context("Olá, posso pagar a minha fatura com cartão de crédito?")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is not None
    assert ctx.kb_answer.article_id == "kb-payment-methods-es"


async def test_complaint_dressed_as_a_question_is_not_answered(analyser: KbAnalyser) -> None:
    ctx = context("ya reinicié el router 5 veces como dice su web y sigue sin funcionar")
    await analyser.analyse(ctx)
    assert ctx.intents & {"already_tried", "complaint"}
    assert ctx.kb_answer is None
    assert ctx.kb_candidates and ctx.kb_candidates[0].topic == "kb-router-reset"


async def test_out_of_kb_question_is_not_answered_but_keeps_candidates(analyser: KbAnalyser) -> None:
    ctx = context("¿tienen IP fija para empresas?")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is None
    assert ctx.kb_candidates
    assert ctx.kb_confidence is not None and ctx.kb_confidence < analyser.policy.min_confidence
    assert ctx.kb_evidence["out_of_kb"] > 0.5


async def test_threshold_is_configurable(analyser: KbAnalyser) -> None:
    analyser.policy = AnswerPolicy(min_confidence=1.0)
    ctx = context("¿cómo reinicio el router?")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is None
    assert ctx.kb_candidates[0].article_id.startswith("kb-router-reset")


async def test_a_statement_without_a_question_is_not_answered(analyser: KbAnalyser) -> None:
    ctx = context("me encanta el router nuevo, va genial")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is None


def _fixed_models(dim: int, embedder: str, action: dict[str, float]) -> LearnedModels:
    """Learned models whose probabilities ignore the text: zero weights, log-probability intercepts."""

    def fixed(name: str, probabilities: dict[str, float]) -> LinearModel:
        classes = tuple(probabilities)
        intercept = np.log(np.array([probabilities[c] for c in classes]))
        return LinearModel(name, classes, np.zeros((dim, len(classes))), intercept, 1.0)

    models = {
        "sentiment": fixed("sentiment", {"negative": 0.1, "neutral": 0.8, "positive": 0.1}),
        "complaint": fixed("complaint", {"no": 0.95, "yes": 0.05}),
        "action": fixed("action", action),
    }
    return LearnedModels(models, {"embedder": embedder})


@pytest.mark.parametrize(
    ("action", "answered"),
    [
        ({"answer": 0.45, "agent": 0.3, "case": 0.15, "crisis": 0.05, "monitor": 0.05}, True),
        # Agent does not compete: whether the KB answers it is the topic views' call.
        ({"answer": 0.4, "agent": 0.45, "case": 0.05, "crisis": 0.05, "monitor": 0.05}, True),
        ({"answer": 0.4, "agent": 0.02, "case": 0.05, "crisis": 0.05, "monitor": 0.48}, False),
        # Answer and agent together are the question's mass (a question the views may answer).
        ({"answer": 0.1, "agent": 0.75, "case": 0.05, "crisis": 0.05, "monitor": 0.05}, True),
        ({"answer": 0.15, "agent": 0.2, "case": 0.1, "crisis": 0.05, "monitor": 0.5}, False),
        ({"answer": 0.1, "agent": 0.3, "case": 0.35, "crisis": 0.2, "monitor": 0.05}, False),
        ({"answer": 0.1, "agent": 0.15, "case": 0.24, "crisis": 0.22, "monitor": 0.29}, False),
        # On top and above the floor, but less likely than case and crisis together: a person.
        ({"answer": 0.44, "agent": 0.02, "case": 0.4, "crisis": 0.1, "monitor": 0.04}, False),
        ({"answer": 0.5, "agent": 0.02, "case": 0.4, "crisis": 0.04, "monitor": 0.04}, True),
    ],
)
async def test_the_action_model_must_rate_a_question_above_every_other_action_and_a_floor(
    usem: UsemEmbedder, kb_small_cache: Path, action: dict[str, float], answered: bool
) -> None:
    learned = _fixed_models(usem.dim, usem.name, action)
    analyser = KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem, learned=learned)
    ctx = context("¿cómo reinicio el router?")
    await analyser.analyse(ctx)
    assert ctx.model_p["answer"] == pytest.approx(action["answer"])
    assert (ctx.kb_answer is not None) is answered
    assert ctx.kb_candidates and ctx.kb_candidates[0].topic == "kb-router-reset"


@pytest.mark.parametrize(
    ("action", "policy"),
    [
        # without the question mass, answer alone meets the floor: 0.1 does not
        (
            {"answer": 0.1, "agent": 0.75, "case": 0.05, "crisis": 0.05, "monitor": 0.05},
            {"question_mass": False},
        ),
        # agent competes with answer when the policy says so
        (
            {"answer": 0.4, "agent": 0.45, "case": 0.05, "crisis": 0.05, "monitor": 0.05},
            {"agent_on_top": True},
        ),
    ],
)
async def test_a_policy_that_reads_answer_apart_from_agent_withholds_an_agent_heavy_question(
    usem: UsemEmbedder, kb_small_cache: Path, action: dict[str, float], policy: dict[str, bool]
) -> None:
    learned = _fixed_models(usem.dim, usem.name, action)
    analyser = KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem, learned=learned)
    analyser.policy = AnswerPolicy(**policy)
    ctx = context("¿cómo reinicio el router?")
    await analyser.analyse(ctx)
    assert ctx.kb_answer is None and ctx.kb_candidates[0].topic == "kb-router-reset"


@pytest.mark.parametrize(
    ("channel", "influential", "crisis"),
    [("twitter", True, True), ("twitter", False, False), ("email", True, False)],
)
async def test_the_kb_step_gives_the_action_model_the_authors_reach(
    usem: UsemEmbedder, kb_small_cache: Path, channel: Channel, influential: bool, crisis: bool
) -> None:
    """Only an influential author on a public channel sets the flag the reach-reading model sees."""
    base = _fixed_models(
        usem.dim, usem.name, {"answer": 0.6, "agent": 0.1, "case": 0.1, "crisis": 0.1, "monitor": 0.1}
    )
    plain = base.models["action"]
    coef = np.zeros((2 * usem.dim + 1, len(plain.classes)))
    coef[usem.dim, plain.classes.index("crisis")] = 6.0  # the flag's own weight
    action = LinearModel("action", plain.classes, coef, plain.intercept, 1.0, "embedding+reach")
    learned = LearnedModels({**base.models, "action": action}, {"embedder": usem.name})
    analyser = KbAnalyser(KB_SMALL, cache_dir=kb_small_cache, embedder=usem, learned=learned)
    ctx = context("¿cómo reinicio el router?", channel=channel)
    ctx.author.influential = influential
    await analyser.analyse(ctx)
    assert (ctx.model_p["crisis"] > 0.5) is crisis


async def test_training_a_snapshot_gives_the_word_view_the_example_phrasings(analyser: KbAnalyser) -> None:
    # The word view names a topic by its phrasings where it has no article (`lexical_view`); they
    # are read with the examples when a snapshot is trained, off the event loop.
    assert not analyser.gate.phrasings
    await analyser.analyse(context("how do I restart my router?"))
    assert any("router" in text for text in analyser.gate.phrasings["kb-router-reset"])
