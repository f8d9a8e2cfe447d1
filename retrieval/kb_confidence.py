"""How sure the KB step is: one number from retrieval evidence and the topic classifier.

Retrieval ranks articles by rank score (best chunk blended with the article's second-best
chunk, so an article matching several ways beats one lucky phrase). Those scores become a
probability over *topics* with a softmax: the best article of each topic counts, translations
of one topic do not compete with each other, and a runner-up topic close behind takes a large
share, which is the margin to the next topic expressed as a probability. The classifier gives
its own P(topic), having also learnt what out-of-KB questions look like (its `none` class).

Retrieval only ranks the KB's own articles, so its share is a probability *given that the KB
answers the message at all*: "do you have a student discount?" finds the May promotion with a
share near 1 because nothing else is closer. The classifier's `1 - P(none)` is the probability
that the KB answers it, so the retrieval view counts as `P_ret(topic) * (1 - P(none))`, and the
confidence is the mean of that and the classifier's `P(topic)`: each view catches mistakes the
other makes, both must agree for a high value, and an out-of-KB question stays low even when
one article is the nearest by far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from retrieval.kb_classifier import NONE
from retrieval.knowledge_base import ArticleHit


@dataclass(frozen=True)
class Assessment:
    """The chosen topic and the evidence for it (all in [0, 1] except cosine `score` and `margin`)."""

    topic: str | None
    confidence: float
    classifier: float
    retrieval: float
    out_of_kb: float
    score: float
    margin: float
    hit: ArticleHit | None

    def as_facts(self) -> dict[str, Any]:
        """For the audit trail and rules (`ctx.kb_evidence`)."""
        return {
            "topic": self.topic,
            "confidence": round(self.confidence, 4),
            "classifier": round(self.classifier, 4),
            "retrieval": round(self.retrieval, 4),
            "out_of_kb": round(self.out_of_kb, 4),
            "score": round(self.score, 4),
            "margin": round(self.margin, 4),
        }


EMPTY = Assessment(None, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, None)


def topic_probabilities(hits: list[ArticleHit], temperature: float) -> dict[str, float]:
    """Softmax over each topic's best rank score among the hits."""
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.topic] = max(best.get(hit.topic, -1.0), hit.rank_score)
    if not best:
        return {}
    top = max(best.values())
    weights = {topic: math.exp(temperature * (score - top)) for topic, score in best.items()}
    total = sum(weights.values())
    return {topic: weight / total for topic, weight in weights.items()}


def assess(
    hits: list[ArticleHit],
    classifier: dict[str, float],
    *,
    temperature: float = 30.0,
    retrieval: dict[str, float] | None = None,
) -> Assessment:
    """The topic with the highest mean probability, among topics retrieval found.

    The mean is of the classifier's P(topic) and retrieval's share weighted by the classifier's
    probability that the KB answers the message at all (`1 - P(none)`); see the module docstring.
    `retrieval` replaces the articles' softmax as retrieval's share (the KB step passes the vote
    over articles and example phrasings, `retrieval.kb_decision`); only topics among the hits count.
    """
    if retrieval is None:
        retrieval = topic_probabilities(hits, temperature)
    else:
        found = {hit.topic for hit in hits}
        retrieval = {topic: retrieval.get(topic, 0.0) for topic in found}
    if not retrieval:
        return EMPTY
    in_kb = 1.0 - classifier.get(NONE, 0.0)
    combined = {topic: (p * in_kb + classifier.get(topic, 0.0)) / 2 for topic, p in retrieval.items()}
    topic = max(combined, key=lambda t: (combined[t], retrieval[t]))
    hit = next(h for h in hits if h.topic == topic)
    runner_up = max((h.rank_score for h in hits if h.topic != topic), default=0.0)
    return Assessment(
        topic=topic,
        confidence=combined[topic],
        classifier=classifier.get(topic, 0.0),
        retrieval=retrieval[topic],
        out_of_kb=classifier.get(NONE, 0.0),
        score=hit.score,
        margin=hit.rank_score - runner_up,
        hit=hit,
    )


def weighted(shares: dict[str, float], classifier: dict[str, float]) -> dict[str, float]:
    """Retrieval's shares as the confidence counts them: times the classifier's `1 - P(none)`."""
    in_kb = 1.0 - classifier.get(NONE, 0.0)
    return {topic: share * in_kb for topic, share in shares.items()}


def one_view(found: Assessment, hits: list[ArticleHit], view: dict[str, float]) -> tuple[Assessment, float]:
    """`found` with one view's P(topic) as its confidence, and that view's lead over its next topic.

    For a message whose two views disagree and whose words side with one of them
    (`retrieval.kb_decision`): the confidence thresholds then judge the view the words back,
    not a mean that the outvoted view pulled down. Only topics among the hits count, as in `assess`.
    """
    topics = {hit.topic for hit in hits}
    mine = view.get(found.topic or "", 0.0)
    rival = max((view.get(t, 0.0) for t in topics if t != found.topic), default=0.0)
    return replace(found, confidence=mine), mine - rival
