"""The KB step: find candidate articles, and say whether the bot is sure enough to answer.

A wrong automatic answer in public is worse than none, so one cosine score is not enough. Two
independent views of the message vote on the topic (see `responders/kb_confidence.py`):

* retrieval: the nearest chunks (title, questions, body) of each article, turned into a
  probability over topics by a softmax of the articles' rank scores, so a clear winner gets a
  high share and a close second topic takes it away (the margin, made a probability);
* a topic classifier (`responders/kb_classifier.py`) trained on the KB's own chunks and on
  hand-written examples, with a `none` class for telecom questions the KB does not answer.

The confidence is the mean of the two probabilities for the best topic, the retrieval one
weighted by the classifier's probability that the KB answers the message at all (`1 - P(none)`);
it is compared with `AnswerPolicy.min_confidence`. Complaints, "I already tried that", requests
for a person, sales leads and risk topics veto an automatic answer whatever the confidence, and
so does a message that asks nothing; the candidates stay attached to the decision for the human
who picks it up.

What the gate asks beyond the confidence, and why: `retrieval.answer_policy` (its settings) and
`retrieval.answer_gate` (its checks); the views' own evidence (the vote, the floor, agreement):
`retrieval.topic_views`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from bot.core.chunk_row import ChunkRow
from bot.core.context import MessageContext
from bot.core.models import ArticleCandidate
from retrieval.answer_gate import AnswerGate
from retrieval.answer_policy import AnswerPolicy
from retrieval.blas import find_blas, one_blas_thread
from retrieval.classifier_cache import trained_classifier
from retrieval.embedders import Embedder, UsemEmbedder
from retrieval.kb_classifier import Examples, TopicClassifier
from retrieval.kb_confidence import assess, one_view, topic_probabilities, weighted
from retrieval.knowledge_base import ArticleHit, KnowledgeBase
from retrieval.learned import LearnedModels, Prediction
from retrieval.learned.apply import apply_prediction
from retrieval.learned.features import reach_flag
from retrieval.query_embedding import QueryEmbedder
from retrieval.service import AsyncKnowledgeBase
from retrieval.summary import article_summary
from retrieval.topic_views import floor_hears_phrasings, topic_vote, unretrieved_view_top, view_evidence

log = logging.getLogger(__name__)

WARM_UP_TEXT = "ready"  # embedded once at start so that the encoder is loaded before traffic


class KbAnalyser:
    """Looks the message up in the knowledge base and decides whether it is answerable.

    `knowledge_base()` returns the `AsyncKnowledgeBase` in use, which the service reloads
    (`bot/kb_reload.py`). After a reload the classifier is retrained in the background for the
    new snapshot; until it is ready, messages keep using the previous snapshot and its classifier,
    a consistent pair, so no message waits for the training and none sees a half-built model.

    `queries_elsewhere`: the reading helpers embed every message (`bot.reading.pool`), so this
    process keeps no encoder of its own: none is loaded at start-up, and one loaded to build
    the KB (vectors not cached) is released once the build and the classifier are done. A
    message the helpers could not embed (a helper died) is still embedded here, loading the
    encoder again: slower and bigger, never wrong.
    """

    def __init__(
        self,
        folder: Path,
        *,
        cache_dir: Path | None = None,
        embedder: Embedder | None = None,
        policy: AnswerPolicy | None = None,
        examples: Examples | None = None,
        learned: LearnedModels | None = None,
        queries_elsewhere: bool = False,
    ) -> None:
        self._folder = folder
        self._queries_elsewhere = queries_elsewhere
        self._cache_dir = cache_dir
        self._embedder = embedder or UsemEmbedder()
        # Message vectors: made here one at a time, or ahead per claimed batch by the reading
        # helpers with this object's spec (`bot.reading.pool`), under the same key.
        self.query_embedder = QueryEmbedder(self._embedder)
        # The checks between a found topic and an automatic answer; they read `self.policy`.
        self.gate = AnswerGate(policy or AnswerPolicy())
        self._examples = examples
        self._learned = learned
        if learned is not None and (
            learned.embedder != self._embedder.name or learned.dim != self._embedder.dim
        ):
            log.warning(
                "learned models are for %s (%d), the KB embeds with %s (%d): lexicon signals only",
                learned.embedder,
                learned.dim,
                self._embedder.name,
                self._embedder.dim,
            )
            self._learned = None
        self._kb: AsyncKnowledgeBase | None = None
        self._model: tuple[KnowledgeBase, TopicClassifier] | None = None
        self._training: asyncio.Task[None] | None = None
        # The last chunk's products (`_chunk_products`): its matrix, the snapshot, the two products.
        self._products: tuple[Any, KnowledgeBase, Any, Any] | None = None
        self._lock = asyncio.Lock()

    @property
    def policy(self) -> AnswerPolicy:
        return self.gate.policy

    @policy.setter
    def policy(self, policy: AnswerPolicy) -> None:  # an experiment swaps the settings (cv_pipeline)
        self.gate.policy = policy

    async def knowledge_base(self) -> AsyncKnowledgeBase:
        """Built (or loaded from its cache) on first use, off the event loop, with its classifier."""
        if self._kb is None:
            async with self._lock:
                if self._kb is None:
                    kb = await AsyncKnowledgeBase.open(
                        self._folder, self._embedder, cache_dir=self._cache_dir
                    )
                    snapshot = kb.kb
                    self._model = (snapshot, await asyncio.to_thread(self._train, snapshot))
                    if self._queries_elsewhere:
                        self._release_encoder()
                    else:
                        # From a warm cache nothing was embedded, so the encoder is not loaded
                        # yet: load it now, or the first customer's message waits seconds for it.
                        await asyncio.to_thread(self._embedder.embed, [WARM_UP_TEXT])
                    self._kb = kb
        return self._kb

    async def current_model(self) -> tuple[KnowledgeBase, TopicClassifier]:
        """The snapshot and classifier to use now; starts retraining if the KB was reloaded."""
        kb = await self.knowledge_base()
        assert self._model is not None
        if self._model[0] is not kb.kb and (self._training is None or self._training.done()):
            self._training = asyncio.create_task(self._retrain(kb.kb), name="kb-classifier-training")
        return self._model

    async def wait_until_trained(self) -> None:
        """For tests and reload handlers: returns once the classifier matches the current snapshot."""
        while True:
            await self.current_model()
            task = self._training
            if task is None or task.done():
                if self._model is not None and self._kb is not None and self._model[0] is self._kb.kb:
                    return
                continue
            await task

    async def _retrain(self, snapshot: KnowledgeBase) -> None:
        try:
            self._model = (snapshot, await asyncio.to_thread(self._train, snapshot))
        except Exception:
            log.exception("kb classifier training failed; the previous snapshot keeps answering")
        if self._queries_elsewhere:
            self._release_encoder()

    def _release_encoder(self) -> None:
        """Drop this process's copy of the encoder, when the embedder can (`UsemEmbedder`)."""
        release = getattr(self._embedder, "release", None)
        if callable(release):
            release()

    def _train(self, snapshot: KnowledgeBase) -> TopicClassifier:
        find_blas()  # here, in a thread: `analyse` caps BLAS threads on the event loop
        examples = self._examples if self._examples is not None else Examples.load()
        self.gate.phrasings = examples.answerable  # read here, off the event loop
        if self._learned is not None and self._learned.topic_examples:
            examples = examples.with_embedded(self._learned.topic_examples)
        return trained_classifier(snapshot, examples, self._cache_dir)

    async def analyse(self, ctx: MessageContext) -> None:
        text = ctx.text or ctx.message.text
        if len(text.strip()) < 3:
            return
        kb, classifier = await self.current_model()
        ahead = (
            ctx.embedding
            if ctx.embedding is not None and ctx.embedding[0] == self.query_embedder.key
            else None
        )
        reach = reach_flag(ctx.public, ctx.author.influential)
        if ahead is not None:
            # The vector came with the reading: what is left is under a millisecond of search and
            # small matrix products, cheaper here than the thread hop (0.3-0.5 ms of CPU more).
            found_now = self._lookup(kb, classifier, text, ahead, reach)
        else:  # embedding here: milliseconds, off the event loop
            found_now = await asyncio.to_thread(self._lookup, kb, classifier, text, None, reach)
        hits, probabilities, prediction, nearest = found_now
        if prediction is not None and self._learned is not None:
            apply_prediction(ctx, prediction, self._learned.thresholds.get("complaint", 0.5))
        ctx.kb_candidates = [hit.to_candidate() for hit in hits[:5]]
        votes = topic_vote(hits, nearest)
        retrieval = votes if votes and self.policy.vote_confidence else None
        temperature = self.policy.retrieval_temperature
        found = assess(hits, probabilities, temperature=temperature, retrieval=retrieval)
        views = view_evidence(hits, probabilities, found, votes, retrieval)
        ctx.kb_evidence = found.as_facts() | views
        if not views["agree"] and self.gate.words_break_tie(kb, ctx, text):
            shares = retrieval if retrieval is not None else topic_probabilities(hits, temperature)
            side = probabilities if views["classifier_top"] == found.topic else None
            found, lead = one_view(found, hits, side or weighted(shares, probabilities))
            ctx.kb_evidence |= {"confidence": round(found.confidence, 4), "lead": round(lead, 4)}
        ctx.kb_confidence = found.confidence
        if self.policy.phrasing_floor:
            found = floor_hears_phrasings(found, nearest, ctx)
        if not self.gate.answerable(ctx, found) or found.hit is None:
            return
        if self.gate.words_disagree(kb, ctx, text):
            return
        answer = self._article_for(kb, found.hit, ctx.language, found.confidence)
        if self.gate.withholds(kb, ctx, text, answer.article_id, found.topic):
            return
        ctx.kb_answer = answer

    def _lookup(
        self,
        kb: KnowledgeBase,
        classifier: TopicClassifier,
        text: str,
        ahead: tuple[str, Any] | None = None,
        reach: float = 0.0,
    ) -> tuple[list[ArticleHit], dict[str, float], Prediction | None, list[tuple[str, float]]]:
        # `ahead`: embedded with the claimed batch (by a helper or a stolen chunk), under our key.
        # `reach`: the author flag some learned models read (`retrieval/learned/features.py`).
        row = ahead[1] if ahead is not None and isinstance(ahead[1], ChunkRow) else None
        if row is not None:  # the chunk's products, made once for all its rows
            vector, (scores, sims) = row.vector, self._chunk_products(kb, row)
        else:
            vector = ahead[1] if ahead is not None else self.query_embedder.vector(text)
            scores = sims = None
        hits = kb.search_vector(vector, self.policy.search_k, scores=scores)
        if self._learned is None:
            return hits, classifier.probabilities(vector), None, []
        learned = self._learned
        nearest = learned.nearest_of(sims) if sims is not None else learned.nearest_examples(vector)
        probabilities = classifier.probabilities(vector)
        if unretrieved_view_top(hits, probabilities, nearest):  # every article, so it can compete
            hits = kb.search_vector(vector, len(kb.articles), scores=scores)
        return hits, probabilities, learned.predict(vector, reach), nearest

    def _chunk_products(self, kb: KnowledgeBase, row: ChunkRow) -> tuple[Any, Any]:
        """`row`'s chunk scored against the KB's chunks and the example questions (None: not
        available), computed at the chunk's first row and kept for the next ones."""
        memo = self._products
        if memo is None or memo[0] is not row.matrix or memo[1] is not kb:
            with one_blas_thread():  # on two threads BLAS only spins here (`retrieval.blas`)
                scores = kb.chunk_scores(row.matrix)
                sims = self._learned.example_similarities(row.matrix) if self._learned is not None else None
            memo = self._products = (row.matrix, kb, scores, sims)
        _matrix, _kb, scores, sims = memo
        return (
            scores[row.index] if scores is not None else None,
            sims[row.index] if sims is not None else None,
        )

    def _article_for(
        self, kb: KnowledgeBase, hit: ArticleHit, language: str, confidence: float
    ) -> ArticleCandidate:
        """The topic's article in the customer's language, else the primary language, else the hit's."""
        versions = kb.articles_for_topic(hit.topic)
        article = (
            versions.get(language)
            or versions.get(self.policy.primary_language)
            or kb.article(hit.article_id)
            or next(iter(versions.values()), None)
        )
        candidate = hit.to_candidate().model_copy(update={"score": confidence})
        if article is None:
            return candidate
        update = {
            "article_id": article.id,
            "lang": article.lang,
            "title": article.title,
            "url": article.url,
            "summary": article_summary(article),
        }
        return candidate.model_copy(update=update)
