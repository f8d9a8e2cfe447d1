"""The two topic views' evidence: retrieval's vote, the cosine floor, and whether they agree.

Pure functions over the KB search's hits, the example questions nearest the message and the
classifier's probabilities (`retrieval.kb_decision` asks them; tests read them alone).
"""

from __future__ import annotations

import math
from dataclasses import replace

from bot.core.context import MessageContext
from retrieval.kb_classifier import NONE
from retrieval.kb_confidence import Assessment, topic_probabilities, weighted
from retrieval.knowledge_base import ArticleHit

VOTERS = 7
# Each voter weighs exp(VOTE_SHARPNESS * cosine): one close real phrasing outweighs several texts
# that are merely about the same area. Chosen on dev (coverage 0.806 -> 0.824 at precision 0.989,
# against plain cosine sums); the 5-fold check agreed (0.963 / 0.700 -> 0.970 / 0.723, unsafe 12 -> 10).
VOTE_SHARPNESS = 20.0


def topic_vote(hits: list[ArticleHit], nearest: list[tuple[str, float]]) -> dict[str, float]:
    """Retrieval's vote: each label's share of the `VOTERS` most similar texts' weight.

    The voters are the KB's articles (best chunk each) and the shipped example questions
    (`nearest`; a label may be `none`, a phrasing of a question the KB does not answer), each
    weighing exp(`VOTE_SHARPNESS` x cosine): one article that merely shares words with the
    message loses to real customers' phrasings of another topic, and the closest of those counts
    most. Empty without example questions (then retrieval is the articles alone).
    """
    if not nearest:
        return {}
    voters = sorted([*nearest, *((h.topic, h.score) for h in hits)], key=lambda v: -v[1])[:VOTERS]
    votes: dict[str, float] = {}
    for label, similarity in voters:
        votes[label] = votes.get(label, 0.0) + math.exp(VOTE_SHARPNESS * similarity)
    total = sum(votes.values())
    return {label: weight / total for label, weight in votes.items()}


def unretrieved_view_top(
    hits: list[ArticleHit], classifier: dict[str, float], nearest: list[tuple[str, float]]
) -> bool:
    """A view's top topic (the vote's winner or the classifier's) has no article among `hits`.

    The chosen topic is one of the retrieved articles' (`kb_confidence.assess`), so a topic both
    views name could not be chosen when its only article ranked below the `search_k` nearest:
    translations of other topics fill those places, and the vote hears example phrasings too.
    Then the KB step searches every article (ninth round: 12 messages of train + dev, 5-fold,
    had both views on one topic and another chosen, at a confidence near zero).
    """
    retrieved = {hit.topic for hit in hits}
    votes = topic_vote(hits, nearest)
    topics = {t: p for t, p in classifier.items() if t != NONE}
    tops = {
        max(votes, key=lambda t: votes[t]) if votes else NONE,
        max(topics, key=lambda t: topics[t], default=NONE),
    }
    return bool(tops - retrieved - {NONE})


def floor_hears_phrasings(
    found: Assessment, nearest: list[tuple[str, float]], ctx: MessageContext
) -> Assessment:
    """`found` with its `score` raised to the nearest example phrasing of its topic, if closer.

    `min_score` is there to say "about something else whatever the classifier says"; an informal
    question far from every article's wording but close to real customers' phrasings of the topic
    is not about something else (the reason the vote hears them, `vote_confidence`). 5-fold over
    train + dev: 2 more right answers, no wrong one.
    """
    near = max((similarity for label, similarity in nearest if label == found.topic), default=0.0)
    if near <= found.score:
        return found
    ctx.kb_evidence = ctx.kb_evidence | {"phrasing_score": round(near, 4)}
    return replace(found, score=near)


def view_evidence(
    hits: list[ArticleHit],
    classifier: dict[str, float],
    found: Assessment,
    votes: dict[str, float],
    retrieval: dict[str, float] | None = None,
) -> dict[str, object]:
    """Each view's own top topic, and whether both are the chosen topic (`agree`).

    Retrieval's top is the vote's winner (`topic_vote`), or the best-ranked article without example
    questions. The lead is over the nearest other topic, in the confidence's units (`retrieval`:
    the share the confidence used, the articles' softmax when None).
    """
    top_retrieved = max(hits, key=lambda h: h.rank_score).topic if hits else None
    share = 1.0  # the vote's share for its winner (1.0 with no example questions to vote)
    if votes:
        top_retrieved = max(votes, key=lambda t: votes[t])
        share = votes[top_retrieved]
    topics = {t: p for t, p in classifier.items() if t != NONE}
    top_classified = max(topics, key=lambda t: topics[t]) if topics else None
    agree = found.topic is not None and top_retrieved == found.topic == top_classified
    shares = weighted(retrieval if retrieval is not None else topic_probabilities(hits, 30.0), classifier)
    others = [
        (shares.get(t, 0.0) + classifier.get(t, 0.0)) / 2 for t in {h.topic for h in hits} if t != found.topic
    ]
    lead = found.confidence - max(others, default=0.0)
    return {
        "retrieval_top": top_retrieved,
        "classifier_top": top_classified,
        "agree": agree,
        "lead": round(lead, 4),
        "vote_share": round(share, 4),
    }
