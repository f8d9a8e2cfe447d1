"""The bodies of `/api/v1/stats/...`: the dashboard's figures, the same ones the page draws.

Declared as pydantic models so the OpenAPI document describes them and schemathesis checks
the running service against them (`bot/web/api_routes.py`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from bot.store.stats import AuthorStat


class BucketOut(BaseModel):
    start: datetime = Field(description="bucket start (UTC)")
    total: int
    automatic: int = Field(description="decided `answer`: answered without a person")
    groups: dict[str, int] = Field(description="decisions per value of `group_by`")
    sentiment: dict[str, int]
    spike: bool = Field(description="at least 5 decisions and 3 times the span's typical bucket")


class VolumeOut(BaseModel):
    """Decisions over time by the message's own time: a span and its buckets, empty ones at 0."""

    span: str = Field(description="hour (by minute), day (by 15 minutes) or month (30 local days)")
    step: str
    group_by: str
    tz: str
    groups: list[str] = Field(description="the group values, largest first")
    buckets: list[BucketOut]


class AlertOut(BaseModel):
    id: str
    kind: str = Field(description="crisis, spike or trend")
    status: str
    topic: str
    at: str | None = None
    age_s: float = Field(description="seconds since the record was created")
    acknowledged_by: str | None = None
    breach: bool = Field(description="open for longer than the SLA without acknowledgement")


class TopicOut(BaseModel):
    topic: str
    count: int
    previous: int = Field(description="the same span just before")
    growth: float


class TopicsOut(BaseModel):
    span: str
    top: list[TopicOut]
    rising: list[TopicOut] = Field(description="at least 5 messages and twice the previous span")
    campaigns: list[AlertOut] = Field(description="campaign echoes (trend alerts) raised in the span")


class KillSwitchOut(BaseModel):
    on: bool
    detail: str | None = None


class NowOut(BaseModel):
    """The wall screen: the last hour, what is open, the kill switch."""

    at: datetime
    volume: VolumeOut
    messages_last_hour: int
    automatic_share: float = Field(description="share of the last hour's decisions answered automatically")
    alerts: list[AlertOut]
    incidents: list[AlertOut]
    kill_switch: KillSwitchOut
    agent_queue: int = Field(description="open agent-queue entries")
    sla_breaches: int = Field(description="open agent-queue entries and alerts past the SLA")
    sla_minutes: float


class CaseTimesOut(BaseModel):
    """Cases opened in the span for one channel and priority, and how long they waited."""

    channel: str
    priority: str
    cases: int
    responded: int = Field(description="cases a person has answered (a note or a status change)")
    solved: int = Field(description="cases solved (and not reopened since)")
    first_response_p50_s: float | None = Field(description="wall-clock seconds, opening to first response")
    first_response_p90_s: float | None
    resolution_p50_s: float | None = Field(description="wall-clock seconds from opening to solution")
    resolution_p90_s: float | None


class CorrectionsOut(BaseModel):
    """Decisions a person later marked wrong (`POST /api/v1/decisions/{key}/correction`)."""

    corrections: int = Field(description="decisions on the span's messages a person corrected")
    answers_corrected: int = Field(description="of those, automatic answers")
    answers_corrected_rate: float = Field(description="answers corrected / automatic answers")
    answers_corrected_to: dict[str, int] = Field(description="the right action people gave those answers")


class QualityOut(BaseModel):
    span: str
    decided: int
    automatic: int
    automatic_rate: float
    by_action: dict[str, int]
    drafts: dict[str, int] = Field(description="war-room drafts created in the span, by status")
    drafts_edited: int = Field(description="drafts published after a person edited the text")
    corrected: CorrectionsOut
    case_times: list[CaseTimesOut] = Field(
        default_factory=list, description="cases opened in the span, by channel and priority"
    )


class PeopleOut(BaseModel):
    span: str
    top_authors: list[AuthorStat] = Field(description="by reach (followers), then messages")
    repeat_complainers: list[AuthorStat] = Field(description="two or more negative messages")
    advocates: list[AuthorStat] = Field(
        description="two or more positive messages and mostly positive, or two or more replies helping others"
    )
