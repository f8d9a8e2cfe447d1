"""The KB step: find candidate articles, and say whether the bot is sure enough to answer.

A wrong automatic answer in public is worse than none, so confidence needs more than a high
cosine score: the best article must also stand clear of the next topic (margin), and the
message must read like a question the article answers. Complaints, "I already tried that",
requests for a person, sales leads and risk topics veto an automatic answer whatever the score;
the candidates stay attached to the decision for the human who picks it up.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import BaseModel, Field

from bot.context import MessageContext
from bot.models import ArticleCandidate
from retrieval.embedders import Embedder, UsemEmbedder
from retrieval.knowledge_base import ArticleHit
from retrieval.service import AsyncKnowledgeBase

VETO_INTENTS = frozenset({"complaint", "already_tried", "human_request", "sales", "spam", "retweet", "vague"})


class AnswerPolicy(BaseModel):
    """Thresholds for an automatic answer (chosen on the dev set; see the README)."""

    min_score: float = Field(0.5, description="cosine of the best chunk")
    min_margin: float = Field(0.08, description="best article's rank score minus the next topic's")
    min_confidence: float = Field(0.0, description="blend of score and margin the router compares")
    primary_language: str = Field("es", description="article language used when the customer's is missing")


def confidence(hits: list[ArticleHit]) -> tuple[float, float]:
    """(confidence, margin): the best score, lifted or lowered by how clearly it beats other topics."""
    if not hits:
        return 0.0, 0.0
    best = hits[0]
    other = next((h for h in hits[1:] if h.topic != best.topic), None)
    margin = best.rank_score - (other.rank_score if other else 0.0)
    return min(1.0, best.score + 0.5 * margin), margin


class KbAnalyser:
    """Looks the message up in the knowledge base and decides whether it is answerable."""

    def __init__(
        self,
        folder: Path,
        *,
        cache_dir: Path | None = None,
        embedder: Embedder | None = None,
        policy: AnswerPolicy | None = None,
    ) -> None:
        self._folder = folder
        self._cache_dir = cache_dir
        self._embedder = embedder or UsemEmbedder()
        self.policy = policy or AnswerPolicy()
        self._kb: AsyncKnowledgeBase | None = None
        self._lock = asyncio.Lock()

    async def knowledge_base(self) -> AsyncKnowledgeBase:
        """Built (or loaded from its cache) on first use, off the event loop."""
        if self._kb is None:
            async with self._lock:
                if self._kb is None:
                    self._kb = await AsyncKnowledgeBase.open(
                        self._folder, self._embedder, cache_dir=self._cache_dir
                    )
        return self._kb

    async def analyse(self, ctx: MessageContext) -> None:
        text = ctx.text or ctx.message.text
        if len(text.strip()) < 3:
            return
        kb = await self.knowledge_base()
        hits = await kb.search(text, k=5)
        ctx.kb_candidates = [hit.to_candidate() for hit in hits]
        score, margin = confidence(hits)
        ctx.kb_confidence = score
        ctx.facts["kb_margin"] = margin
        policy = self.policy
        if not hits or hits[0].score < policy.min_score or margin < policy.min_margin:
            return
        if score < policy.min_confidence or ctx.intents & VETO_INTENTS or ctx.risks:
            return
        if "question" not in ctx.intents:
            return
        ctx.kb_answer = self._article_for(kb, hits[0], ctx.language)

    def _article_for(self, kb: AsyncKnowledgeBase, hit: ArticleHit, language: str) -> ArticleCandidate:
        """The topic's article in the customer's language, else the primary language, else the hit."""
        versions = kb.articles_for_topic(hit.topic)
        article = versions.get(language) or versions.get(self.policy.primary_language)
        candidate = hit.to_candidate()
        if article is None:
            return candidate
        update = {"article_id": article.id, "lang": article.lang, "title": article.title, "url": article.url}
        return candidate.model_copy(update=update)
