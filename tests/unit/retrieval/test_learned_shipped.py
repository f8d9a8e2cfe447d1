"""The shipped weights load, fit the embedder, and read a few messages written for this test.

None of these texts is in an evaluation or training set; they are plain cases that any usable
model must get right, in each language.
"""

from __future__ import annotations

import pytest

from retrieval.embedders import UsemEmbedder
from retrieval.learned import LearnedModels


@pytest.fixture(scope="module")
def models() -> LearnedModels:
    return LearnedModels.load()


def read(models: LearnedModels, usem: UsemEmbedder, text: str) -> tuple[str, str, float]:
    prediction = models.predict(usem.embed([text])[0])
    action = max(prediction.action, key=prediction.action.__getitem__)
    return prediction.sentiment_label, action, prediction.complaint


def test_manifest_describes_the_weights(models: LearnedModels, usem: UsemEmbedder) -> None:
    assert models.embedder == usem.name and models.dim == usem.dim
    assert set(models.models) == {"sentiment", "complaint", "action"}
    manifest = models.manifest
    assert manifest["data"]["rows_by_source"]["train.jsonl"] > 900
    assert "dev.jsonl" not in manifest["data"]["rows_by_source"] or all(
        "dev" not in entry["fitted_on"] for entry in manifest["models"].values()
    )
    for task in ("sentiment", "complaint", "action"):
        assert 0.5 < manifest["figures"][task]["cv5_train_dev"]["accuracy"] <= 1.0
    assert models.topic_examples and {label for label, _v in models.topic_examples} >= {"none"}


@pytest.mark.parametrize(
    "text",
    [
        "Llevo tres días sin internet en casa y nadie me da una solución, ya abrí dos incidencias.",
        "They charged me twice this month for the same plan and I want the money back.",
        "Minha linha foi cortada mesmo com a conta paga, preciso que religuem hoje.",
    ],
)
def test_reported_problems_read_as_negative_complaints(
    models: LearnedModels, usem: UsemEmbedder, text: str
) -> None:
    sentiment, action, complaint = read(models, usem, text)
    assert (sentiment, action) == ("negative", "case")
    assert complaint > 0.5


@pytest.mark.parametrize(
    "text",
    [
        "¿Cómo puedo descargar la factura del mes pasado en PDF?",
        "How do I change the name of my wifi network?",
        "Como faço para ativar o roaming antes de viajar?",
    ],
)
def test_plain_how_to_questions_read_as_neutral_answers(
    models: LearnedModels, usem: UsemEmbedder, text: str
) -> None:
    sentiment, action, complaint = read(models, usem, text)
    assert (sentiment, action) == ("neutral", "answer")
    assert complaint < 0.5


@pytest.mark.parametrize(
    "text",
    [
        "¡Mil gracias al técnico de esta mañana, rapidísimo y muy amable!",
        "Loving the new fibre, super fast and not a single drop all week. Thank you!",
    ],
)
def test_praise_reads_as_positive_and_needs_no_reply(
    models: LearnedModels, usem: UsemEmbedder, text: str
) -> None:
    sentiment, action, complaint = read(models, usem, text)
    assert (sentiment, action) == ("positive", "monitor")
    assert complaint < 0.5
