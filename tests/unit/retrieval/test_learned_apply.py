"""What the learned models change on a message context."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.context import MessageContext
from retrieval.learned import Prediction
from retrieval.learned.apply import apply_prediction
from tests.conftest import make_message


def ctx(intents: set[str]) -> MessageContext:
    c = MessageContext(message=make_message(), now=datetime(2026, 5, 20, tzinfo=UTC), text="x")
    c.intents, c.sentiment = frozenset(intents), "neutral"
    return c


def prediction(complaint: float, negative: float = 0.7) -> Prediction:
    rest = (1 - negative) / 2
    actions = {"answer": 0.1, "case": 0.6, "crisis": 0.1, "agent": 0.1, "monitor": 0.1}
    return Prediction({"negative": negative, "neutral": rest, "positive": rest}, actions, complaint)


def test_model_owns_complaint_and_sentiment_and_keeps_the_lexicon_words_apart() -> None:
    c = ctx({"complaint", "question"})
    apply_prediction(c, prediction(complaint=0.1), complaint_min=0.5)
    assert c.intents == {"question", "complaint_words"}
    assert c.sentiment == "negative" and c.sentiment_score < 0
    assert c.model_p["case"] == 0.6 and c.model_p["complaint"] == 0.1
    assert c.model_p["negative"] == 0.7


def test_model_complaint_is_an_intent_from_the_threshold_on() -> None:
    c = ctx({"question"})
    apply_prediction(c, prediction(complaint=0.5, negative=0.2), complaint_min=0.5)
    assert c.intents == {"question", "complaint"}
    assert c.sentiment in ("neutral", "positive")
