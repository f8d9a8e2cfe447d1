"""The confidence: retrieval and classifier probabilities for the best topic."""

from __future__ import annotations

import pytest

from retrieval.kb_confidence import assess, one_view, topic_probabilities, weighted
from retrieval.knowledge_base import ArticleHit
from retrieval.topic_views import floor_hears_phrasings, topic_vote, unretrieved_view_top, view_evidence
from tests.unit.retrieval.conftest import context


def hit(article_id: str, rank: float) -> ArticleHit:
    topic = article_id.rsplit("-", 1)[0]
    return ArticleHit(
        article_id, topic, article_id[-2:], "t", "https://x.example", rank, rank, rank, 2, "question", "q"
    )


def test_translations_do_not_compete_and_a_close_second_topic_lowers_the_share() -> None:
    clear = topic_probabilities([hit("kb-a-es", 0.8), hit("kb-a-en", 0.79), hit("kb-b-es", 0.5)], 30)
    close = topic_probabilities([hit("kb-a-es", 0.8), hit("kb-b-es", 0.78)], 30)
    assert set(clear) == {"kb-a", "kb-b"}
    assert clear["kb-a"] > 0.99
    assert 0.5 < close["kb-a"] < 0.7


def test_both_views_must_agree_for_a_high_confidence() -> None:
    hits = [hit("kb-a-es", 0.8), hit("kb-b-es", 0.5)]
    agreed = assess(hits, {"kb-a": 0.95, "none": 0.05})
    disputed = assess(hits, {"kb-a": 0.05, "none": 0.95})
    assert agreed.topic == "kb-a" and agreed.confidence > 0.9
    assert disputed.confidence < 0.1 and disputed.out_of_kb == 0.95
    assert agreed.margin == 0.8 - 0.5


def test_no_hits_means_no_topic() -> None:
    empty = assess([], {"none": 1.0})
    assert empty.topic is None and empty.confidence == 0.0


def test_an_out_of_kb_question_stays_low_even_with_one_clear_nearest_article() -> None:
    hits = [hit("kb-promo-es", 0.8), hit("kb-b-es", 0.5)]
    out_of_kb = assess(hits, {"kb-promo": 0.1, "none": 0.9})
    in_kb = assess(hits, {"kb-promo": 0.6, "none": 0.1})
    assert out_of_kb.retrieval > 0.99
    assert out_of_kb.confidence < 0.2
    assert in_kb.confidence > 0.7


def test_the_retrieval_vote_lets_the_closest_real_phrasing_outweigh_several_loose_matches() -> None:
    """Three texts at cosine 0.60 about topic b lose to one customer phrasing of topic a at 0.70."""
    hits = [hit("kb-b-es", 0.6), hit("kb-b-en", 0.6)]
    classifier = {"kb-a": 0.8, "kb-b": 0.15, "none": 0.05}
    found = assess([hit("kb-a-es", 0.7), *hits], classifier)
    views = view_evidence(hits, classifier, found, topic_vote(hits, [("kb-a", 0.7), ("kb-b", 0.6)]))
    assert views["retrieval_top"] == "kb-a"
    # With only loose matches, the many win.
    loose = view_evidence(hits, classifier, found, topic_vote(hits, [("kb-a", 0.61), ("kb-b", 0.6)]))
    assert loose["retrieval_top"] == "kb-b"


def test_the_vote_is_retrievals_share_when_real_phrasings_are_closer_than_any_article() -> None:
    """An informal question far from every article's wording, near two real phrasings of topic a.

    The articles' softmax splits a and b almost evenly (their best chunks are 0.02 apart); the
    vote, which also hears the example phrasings, gives a most of it, and the confidence with it.
    """
    hits = [hit("kb-a-es", 0.50), hit("kb-b-es", 0.48)]
    classifier = {"kb-a": 0.45, "kb-b": 0.35, "none": 0.2}
    votes = topic_vote(hits, [("kb-a", 0.72), ("kb-a", 0.70), ("none", 0.45)])
    articles = assess(hits, classifier)
    voted = assess(hits, classifier, retrieval=votes)
    assert articles.topic == voted.topic == "kb-a"
    assert articles.confidence < 0.5 < voted.confidence
    assert voted.retrieval == votes["kb-a"] > 0.95
    lead = view_evidence(hits, classifier, voted, votes, votes)["lead"]
    articles_lead = view_evidence(hits, classifier, articles, votes)["lead"]
    assert isinstance(lead, float) and isinstance(articles_lead, float) and lead > articles_lead
    # A `none` phrasing closest of all takes the vote, and the confidence stays low.
    out_of_kb = topic_vote(hits, [("none", 0.8), ("none", 0.78)])
    assert assess(hits, {"kb-a": 0.3, "none": 0.6}, retrieval=out_of_kb).confidence < 0.2


def test_one_view_judges_the_view_the_words_back_not_the_mean_the_other_pulled_down() -> None:
    hits = [hit("kb-a-es", 0.8), hit("kb-b-es", 0.7), hit("kb-c-es", 0.6)]
    classifier = {"kb-a": 0.2, "kb-b": 0.6, "kb-c": 0.0, "none": 0.2}
    retrieval = {"kb-a": 0.8, "kb-b": 0.1, "none": 0.1}
    found = assess(hits, classifier, retrieval=retrieval)
    assert found.topic == "kb-a" and found.confidence < 0.5  # (0.8 * 0.8 + 0.2) / 2
    alone, lead = one_view(found, hits, weighted(retrieval, classifier))
    assert alone.confidence == pytest.approx(0.8 * 0.8) and alone.topic == "kb-a" and alone.hit == found.hit
    assert lead == pytest.approx(0.8 * 0.8 - 0.1 * 0.8)  # over kb-b; `none` does not count
    _same, classifier_lead = one_view(found, hits, classifier)
    assert classifier_lead == pytest.approx(0.2 - 0.6)  # it backs kb-b: a negative lead


def test_the_score_floor_hears_the_topics_nearest_example_phrasing() -> None:
    found = assess([hit("kb-a-es", 0.3), hit("kb-b-es", 0.2)], {"kb-a": 0.9, "none": 0.1})
    ctx = context("q")
    near = floor_hears_phrasings(found, [("kb-b", 0.8), ("kb-a", 0.6), ("none", 0.7)], ctx)
    assert near.score == 0.6 and ctx.kb_evidence["phrasing_score"] == 0.6
    ctx = context("q")
    assert floor_hears_phrasings(found, [("kb-b", 0.8), ("kb-a", 0.2)], ctx) is found  # farther: as is
    assert "phrasing_score" not in ctx.kb_evidence


def test_a_topic_a_view_names_without_a_retrieved_article_asks_for_every_article() -> None:
    # The nearest articles are translations of other topics; the classifier and the customers'
    # phrasings name kb-c, whose article ranked below them: kb-c could not even be chosen.
    hits = [hit("kb-a-es", 0.60), hit("kb-a-en", 0.59), hit("kb-b-es", 0.58)]
    phrasings = [("kb-c", 0.9), ("kb-c", 0.85)]
    assert unretrieved_view_top(hits, {"kb-c": 0.8, "kb-a": 0.1, "none": 0.1}, phrasings)
    # The vote alone naming it is enough (the classifier's top is retrieved).
    assert unretrieved_view_top(hits, {"kb-a": 0.8, "none": 0.2}, phrasings)
    # Both tops retrieved, or a view whose top is `none`: the usual ten articles do.
    assert not unretrieved_view_top(hits, {"kb-a": 0.8, "none": 0.2}, [("kb-a", 0.9)])
    assert not unretrieved_view_top(hits, {"none": 0.9, "kb-a": 0.1}, [("none", 0.9)])
    assert not unretrieved_view_top(hits, {"kb-b": 0.7, "none": 0.3}, [])
