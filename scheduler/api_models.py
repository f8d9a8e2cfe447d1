"""The campaign API's bodies and answers, as pydantic models (the OpenAPI document names them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scheduler.campaign_file import CampaignDefinition, FileProblem


class CampaignWindowOut(BaseModel):
    start: str
    end: str
    timezone: str


class CampaignSummary(BaseModel):
    """One campaign as lists show it."""

    id: str
    name: str
    status: Literal["draft", "approved", "running", "paused", "cancelled", "done"]
    window: CampaignWindowOut
    channels: list[str]
    account: str
    approved_by: str | None
    version: int
    created_at: str
    updated_at: str


class CampaignPage(BaseModel):
    items: list[CampaignSummary]
    next: str | None = Field(description="cursor of the next page; null on the last")


class PreviewPost(BaseModel):
    """One post of one step on one channel in one language (FORMATS.md)."""

    n: int
    at_local: str
    at_utc: str
    channel: str
    lang: str
    text: str
    length: int
    limit: int


class CampaignPost(PreviewPost):
    key: str = Field(description="the outbox idempotency key of this post")
    state: str = Field(description="scheduled, or the outbox status (cancelled: skipped past its grace)")
    last_error: str | None


class CampaignDetail(CampaignSummary):
    """A campaign with its history, definition and every post's state."""

    history: list[dict[str, Any]]
    definition: dict[str, Any]
    posts: list[CampaignPost]


class CampaignPreview(BaseModel):
    """What `centinela campaigns preview --json` prints (FORMATS.md); `errors` empty when valid."""

    campaign: str | None
    steps: list[PreviewPost]
    errors: list[FileProblem]


class CampaignProblems(BaseModel):
    """A campaign refused: the error shape plus every problem, each with step, channel and lang."""

    model_config = ConfigDict(extra="allow")

    error: str
    field: str | None
    errors: list[FileProblem] = Field(
        default_factory=list, description="empty when the body is not a campaign object"
    )


class CampaignActionBody(BaseModel):
    actor: str | None = Field(None, description="who does it (audited)")


class CampaignAnswer(BaseModel):
    """What a lifecycle action or a definition did (409 when the status does not allow it)."""

    ok: bool
    message: str
    campaign: CampaignDetail | None = None


CampaignBody = CampaignDefinition
"""A campaign as JSON: the YAML file's fields (FORMATS.md)."""


class OutageStart(BaseModel):
    title: str = Field(min_length=1, description='what is down, e.g. "Fibra Madrid"')
    region: str | None = Field(None, description="complaints naming this region match (Madrid)")
    topic: str | None = Field(None, description="complaints about this topic match (no-internet)")
    actor: str | None = Field(None, description="who declares it (audited)")


class OutageAnswer(BaseModel):
    """What declaring or resolving did; `outage` is the incident record afterwards."""

    ok: bool
    message: str
    outage: dict[str, Any] | None = None
