"""The request and response bodies of the HTTP API, as pydantic models.

They are what `bot/openapi.py` turns into the OpenAPI document (`model_json_schema`), and the
schemathesis run checks every answer of the running service against them, so the document
cannot drift from what the handlers do. The stored models (`Decision`, `OutboxItem`, ...)
are used as they are; only the envelopes and the small request bodies are defined here.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.core.drafts import Draft
from bot.core.models import Decision, InboundMessage, OutboxItem

T = TypeVar("T")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the service (`bot/http_errors.py`)."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="what went wrong, in words fit to show a person")
    field: str | None = Field(description="the request part at fault (body field, parameter), or null")


class Page(BaseModel, Generic[T]):
    """Every list: the items, newest first, and the cursor of the next page (null: no more)."""

    model_config = ConfigDict(extra="allow")

    items: list[T]
    next: str | None = Field(None, description="pass as `cursor` to get the next page")


class Health(BaseModel):
    status: str


class WebhookBatch(BaseModel):
    """Up to 500 messages in one signed request."""

    messages: list[InboundMessage] = Field(min_length=1, max_length=500)


class WebhookAnswer(BaseModel):
    """Ids accepted (stored durably, 202) and ids already known (200 when all are)."""

    accepted: list[str]
    duplicates: list[str]


class MessageWithDecision(BaseModel):
    message: InboundMessage
    decision: Decision | None = Field(description="null until the message is decided")


class Requeued(BaseModel):
    requeued: str


class KillSwitchState(BaseModel):
    on: bool
    detail: str | None = Field(description="who switched it on, when and why; null when off")


class KillSwitchChange(BaseModel):
    on: bool
    actor: str | None = Field(None, description="who (audited; default api)")
    reason: str = Field("", description="why (audited)")


class DraftAnswer(BaseModel):
    draft: Draft


class ApproveBody(BaseModel):
    text: str | None = Field(None, description="publish this edited text instead of the draft")
    actor: str | None = Field(None, description="who approves (audited)")


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, description="why (audited)")
    actor: str | None = None


class AckBody(BaseModel):
    actor: str | None = None


class ActionAnswer(BaseModel):
    """What an approval, rejection or acknowledgement did (409 when it was already done)."""

    outcome: Literal["approved", "rejected", "acknowledged", "already", "not_found", "invalid", "refused"]
    message: str
    draft: Draft | None = None


class OutboxPage(Page[OutboxItem]):
    counts: dict[str, int] = Field(description="outbox items by status")


class KbReloaded(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["reloaded"]
    articles: int
    topics: int
    by_language: dict[str, int]
    chunks: int
    rejected: int
    errors: list[str]
