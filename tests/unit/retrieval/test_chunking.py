from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.articles import Article
from retrieval.chunking import ChunkingConfig, body_passages, chunk_article, chunk_articles, plain_text


def article(body: str, questions: list[str] | None = None, title: str = "Reiniciar el router") -> Article:
    return Article(
        id="kb-router-reset-es",
        lang="es",
        title=title,
        url="https://x.example/es/router-reset",
        questions=questions if questions is not None else ["¿Cómo reinicio el router?", "¿Y el módem?"],
        body=body,
        path=Path("router-reset-es.md"),
        content_hash="0" * 64,
    )


def test_title_then_questions_then_body_each_tagged_with_article_and_kind() -> None:
    chunks = chunk_article(article("Desenchufa el router, espera treinta segundos y vuelve a enchufarlo."))

    assert [c.kind for c in chunks] == ["title", "question", "question", "body"]
    assert {c.article_id for c in chunks} == {"kb-router-reset-es"}
    assert chunks[0].text == "Reiniciar el router"
    assert chunks[1].text == "¿Cómo reinicio el router?"


def test_a_question_equal_to_the_title_is_not_embedded_twice() -> None:
    chunks = chunk_article(article("Cuerpo.", questions=["reiniciar el router", "Otra"]))

    assert [c.text for c in chunks if c.kind == "question"] == ["Otra"]


def test_long_paragraphs_are_split_at_sentences_within_the_cap() -> None:
    sentence = "Esta frase tiene exactamente unas cuantas palabras de relleno para medir. "
    config = ChunkingConfig(max_chars=200, min_chars=50)

    passages = body_passages(sentence * 12, config)

    assert len(passages) > 1
    assert all(len(p) <= 200 for p in passages)
    assert all(p.endswith("medir.") for p in passages)


def test_a_sentence_longer_than_the_cap_is_cut_between_words() -> None:
    passages = body_passages("palabra " * 100, ChunkingConfig(max_chars=100, min_chars=10))

    assert all(len(p) <= 100 for p in passages)
    assert " ".join(passages).split() == ["palabra"] * 100


def test_short_paragraphs_are_merged_with_their_neighbours() -> None:
    body = "**Reinicio manual**\n\n1. Desenchufa el router.\n2. Espera 30 segundos.\n\nListo."

    passages = body_passages(body, ChunkingConfig(max_chars=400, min_chars=120))

    assert passages == ["Reinicio manual\n1. Desenchufa el router.\n2. Espera 30 segundos.\nListo."]


def test_markdown_markup_is_removed_but_the_words_stay() -> None:
    text = "## Pasos\n- Entra en *Mi router > Reiniciar* y pulsa **Aceptar**; ver [la guía](https://x.example/g)."

    assert plain_text(text) == "Pasos\nEntra en Mi router > Reiniciar y pulsa Aceptar; ver la guía."


def test_chunk_articles_keeps_article_order() -> None:
    first, second = article("Uno."), article("Dos.").model_copy(update={"id": "kb-b-es"})

    chunks = chunk_articles([first, second])

    assert chunks[0].article_id == "kb-router-reset-es"
    assert chunks[-1].article_id == "kb-b-es"


def test_invalid_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="min_chars"):
        ChunkingConfig(max_chars=10, min_chars=20)
