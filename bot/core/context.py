"""What the pipeline knows about one message as it moves through the analysers.

Analysers fill it in; the router reads it; responders turn it into effects. Keeping every
finding on one typed object is what lets a new analyser (KB retrieval, spike detection, CRM
look-up) plug in without touching the router or the responders that do not care about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.alerts import SpikeAlert
from bot.core.channels import PUBLIC_CHANNELS
from bot.core.models import ArticleCandidate, InboundMessage, Sentiment
from bot.core.self_id import SelfIdClaim


@dataclass(slots=True)
class AuthorProfile:
    """Facts about the author that business rules can use."""

    own_account: bool = False
    bot: bool = False
    influential: bool = False
    known_customer: bool = False


@dataclass(slots=True)
class MessageContext:
    """One message on its way through the pipeline, with everything learnt about it so far."""

    message: InboundMessage
    now: datetime
    text: str = ""
    language: str = ""
    language_method: str = ""
    sentiment: Sentiment = "neutral"
    sentiment_score: float = 0.0
    intents: frozenset[str] = frozenset()
    risks: frozenset[str] = frozenset()
    cues: tuple[str, ...] = ()
    author: AuthorProfile = field(default_factory=AuthorProfile)
    echo: bool = False
    kb_candidates: list[ArticleCandidate] = field(default_factory=list)
    kb_confidence: float | None = None
    kb_answer: ArticleCandidate | None = None
    topic_keys: list[str] = field(default_factory=list)
    incident_id: str | None = None
    # Learned models' probabilities (`retrieval/learned`): action classes, sentiments and
    # `complaint`; empty when they did not run (no KB, text too short).
    model_p: dict[str, float] = field(default_factory=dict)
    # What the KB step weighed (topic, confidence, the two views, margin...): for the audit trail,
    # the rules and `eval --errors`.
    kb_evidence: dict[str, Any] = field(default_factory=dict)
    # Spike and trend alerts this message raised or updated (the spike analyser).
    spike_alerts: list[SpikeAlert] = field(default_factory=list)
    # The text's query vector when a reading helper embedded it with the claimed batch:
    # (how it was made, the unit vector, as a `chunk_row.ChunkRow` of its chunk's matrix or a
    # plain vector). The KB step uses it only if made the way it would.
    embedding: tuple[str, Any] | None = None
    # A private message offering a contract number, an e-mail or the code sent for one
    # (`bot.pipeline.self_id`); `personal_data`: a public one that shows such data.
    self_id: SelfIdClaim | None = None
    personal_data: bool = False

    @property
    def public(self) -> bool:
        # `message.is_public` without its two calls: the rules read this up to six times a message.
        return self.message.channel in PUBLIC_CHANNELS
