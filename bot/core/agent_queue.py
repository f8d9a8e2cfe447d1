"""An agent-queue entry, as stored (`RecordKind.AGENT_QUEUE`, id = the message key).

The agent responder writes one for every hand-over, the pipeline's reply policy one for every
held automatic answer, and the dashboard counts the open ones; a typed record keeps the three
agreeing on its fields instead of each writing or reading a dict of its own.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from bot.core.models import ArticleCandidate, Record


class AgentQueueEntry(BaseModel):
    """A message a person must handle: what it says, why it is here, and articles that may help."""

    message_key: str
    status: str = "open"  # "open" until a person handles it
    channel: str
    author: str = ""
    text: str
    language: str = ""
    reason: str
    candidates: list[ArticleCandidate] = Field(default_factory=list)
    created_at: str = Field(description="the message's time, ISO 8601")

    @classmethod
    def from_record(cls, record: Record) -> AgentQueueEntry:
        return cls.model_validate(record.data)

    def data(self) -> dict[str, Any]:
        """As stored: the same keys, in the same order, as the entries written before the model."""
        return {
            "status": self.status,
            "message_key": self.message_key,
            "channel": self.channel,
            "author": self.author,
            "text": self.text,
            "language": self.language,
            "reason": self.reason,
            "candidates": [c.model_dump() for c in self.candidates],
            "created_at": self.created_at,
        }
