"""Canonical models: the only shapes that travel between adapters, pipeline, store and outbox.

Adapters translate platform payloads into these models at the edge; nothing past `adapters/`
sees a raw platform dict except the `raw` field kept verbatim for audit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.channels import PUBLIC_CHANNELS

Channel = Literal[
    "twitter",
    "facebook",
    "instagram",
    "whatsapp",
    "forum",
    "email",
    "webhook",
    "slack",
    "messenger",
    "instagram_dm",
]
CHANNELS: tuple[Channel, ...] = get_args(Channel)  # the same names, written once

Action = Literal["answer", "case", "crisis", "agent", "monitor"]
ACTIONS: tuple[Action, ...] = ("answer", "case", "crisis", "agent", "monitor")

Sentiment = Literal["positive", "negative", "neutral"]
AccountKind = Literal["robot", "official", "employee"]
OutboxStatus = Literal["pending", "published", "failed", "needs_review", "cancelled"]
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = ("pending", "published", "failed", "needs_review", "cancelled")


def utc_now() -> datetime:
    """The one place that reads the wall clock for model defaults."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive timestamps are taken as UTC so that every comparison in the service is aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Author(BaseModel):
    """Who wrote a message, as far as the platform tells us.

    `followers` is None when the platform does not say (private channels, some datasets).
    """

    model_config = ConfigDict(extra="ignore")

    handle: str = ""
    name: str | None = None
    followers: int | None = None
    verified: bool = False
    customer_id: str | None = None
    is_bot: bool = False

    @field_validator("handle", mode="before")
    @classmethod
    def _handle_not_null(cls, value: Any) -> Any:
        return "" if value is None else value

    @field_validator("verified", "is_bot", mode="before")
    @classmethod
    def _bool_not_null(cls, value: Any) -> Any:
        return False if value is None else value


class InboundMessage(BaseModel):
    """One normalised inbound message. Identity is (channel, id): the platform's own id."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=256)
    channel: Channel
    created_at: datetime
    author: Author = Field(default_factory=Author)
    text: str = Field(default="", max_length=40_000)
    in_reply_to: str | None = None
    language: str | None = Field(default=None, description="author's known preference or platform hint")
    raw: dict[str, Any] | None = Field(default=None, description="original payload, for audit only")

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("text", mode="before")
    @classmethod
    def _text_not_null(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def key(self) -> str:
        """Store-wide identity used for dedupe and idempotency keys."""
        return message_key(self.channel, self.id)

    @property
    def is_public(self) -> bool:
        return self.channel in PUBLIC_CHANNELS


def message_key(channel: str, platform_id: str) -> str:
    return f"{channel}:{platform_id}"


class ArticleCandidate(BaseModel):
    """A knowledge-base article the retrieval step found for a message."""

    article_id: str
    topic: str = ""
    lang: str = ""
    title: str = ""
    url: str = ""
    score: float = 0.0
    summary: str = Field(default="", description="the article's opening, for a short automatic answer")


class Decision(BaseModel):
    """What the pipeline decided for one message, and why (shown to staff and in the audit log)."""

    message_key: str
    action: Action
    reason: str
    rule: str
    confidence: float = 0.0
    article: str | None = None
    language: str = ""
    sentiment: Sentiment = "neutral"
    intents: list[str] = Field(default_factory=list)
    risks: list[str] = Field(default_factory=list)
    candidates: list[ArticleCandidate] = Field(default_factory=list)
    suppressed: str | None = Field(default=None, description="why an automatic reply was held back")
    decided_at: datetime = Field(default_factory=utc_now)
    latency_ms: float = 0.0
    # What the dashboard's aggregates are cut by (`bot/store/stats.py`); empty when unknown.
    topic: str = Field(default="", description="the message's keyword or KB topic, for the trends")
    region: str = Field(default="", description="the region the message names, for the trends")
    author: str = Field(default="", description="the author's (masked) handle, for the People view")
    reach: int = Field(default=0, description="the author's followers when the message was written")
    message_at: datetime | None = Field(default=None, description="when the message was written")


class OutboxItem(BaseModel):
    """One thing to publish. The idempotency key makes a second attempt to create it a no-op."""

    idempotency_key: str
    account: AccountKind
    channel: Channel
    target: str | None = Field(default=None, description="platform id of the message replied to")
    recipient: str | None = Field(default=None, description="author handle, for DMs and mentions")
    text: str
    payload: dict[str, Any] | None = Field(default=None, description="structured content, e.g. Slack blocks")
    message_key: str | None = None
    status: OutboxStatus = "pending"
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utc_now)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
    last_error: str | None = None
    receipt: dict[str, Any] | None = None
    attempt_started_at: datetime | None = Field(
        default=None,
        description="set (durably) before a send and cleared with its outcome: still set when the "
        "lease lapses means the outcome is unknown, so the item goes to review, never re-sent",
    )


class AuditEvent(BaseModel):
    """Append-only record of who or what did something, for later review."""

    at: datetime = Field(default_factory=utc_now)
    kind: str
    subject: str
    actor: str = "centinela"
    detail: dict[str, Any] = Field(default_factory=dict)


class DeadLetter(BaseModel):
    """A message that failed processing too often: kept, visible, and re-queueable.

    `message` is None when the stored body could not be loaded back (then `unreadable` holds
    an excerpt of it for a person, and re-queueing it is refused: it would only fail again).
    """

    key: str = ""
    message: InboundMessage | None = None
    unreadable: str | None = None
    attempts: int
    error: str
    failed_at: datetime = Field(default_factory=utc_now)


class Claim(BaseModel):
    """A message handed to one worker; it must be acked, or it comes back after the timeout."""

    message: InboundMessage
    delivery_id: str
    attempts: int


class Record(BaseModel):
    """A versioned document (case, incident, alert, draft, agent-queue entry, campaign step).

    `version` grows by one on every write so that approvals can compare-and-set.
    """

    kind: str
    id: str
    version: int = 1
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
