"""The sample knowledge base shipped for `make run` must load cleanly and answer its own questions."""

from __future__ import annotations

import pytest

from retrieval.articles import load_articles
from retrieval.embedders import UsemEmbedder
from retrieval.knowledge_base import KnowledgeBase
from tests.paths import SAMPLE_KB

TOPICS = {
    "router-reset",
    "wifi-password",
    "bill-explained",
    "payment-methods",
    "roaming",
    "outage-check",
    "contract-cancel",
    "coverage-check",
    "app-login",
    "speed-test",
}


def test_sample_kb_loads_with_every_topic_in_spanish_and_english() -> None:
    result = load_articles(SAMPLE_KB)

    assert result.errors == []
    by_topic: dict[str, set[str]] = {}
    for article in result.articles:
        assert article.path.name == f"{article.id.removeprefix('kb-')}.md"
        assert article.id.endswith(f"-{article.lang}")
        assert (
            article.url
            == f"https://ayuda.auroratel.example/{article.lang}/{article.topic.removeprefix('kb-')}"
        )
        assert 3 <= len(article.questions) <= 5 and article.body
        by_topic.setdefault(article.topic.removeprefix("kb-"), set()).add(article.lang)
    assert set(by_topic) == TOPICS
    assert all({"es", "en"} <= langs for langs in by_topic.values())
    assert sum("pt" in langs for langs in by_topic.values()) >= 5


@pytest.fixture(scope="module")
def sample_kb(usem: UsemEmbedder) -> KnowledgeBase:
    return KnowledgeBase.build(SAMPLE_KB, usem)


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("no me acuerdo de la clave del wifi", "kb-wifi-password"),
        ("my bill went up this month, why?", "kb-bill-explained"),
        ("vou viajar pra Argentina, o celular funciona lá?", "kb-roaming"),
        ("¿llega la fibra a la calle Mayor 3 de Toledo?", "kb-coverage-check"),
        ("the app keeps saying my password is wrong", "kb-app-login"),
    ],
)
def test_sample_kb_answers_typical_questions(sample_kb: KnowledgeBase, question: str, topic: str) -> None:
    assert sample_kb.search(question, k=1)[0].topic == topic
