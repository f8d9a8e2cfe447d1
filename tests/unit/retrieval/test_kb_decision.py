"""The KB step on the small test KB with the real embedder: right article, or no answer."""

from __future__ import annotations

import pytest

from retrieval.kb_decision import AnswerPolicy, KbAnalyser
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
