"""A volume spike (or trend) as the pipeline, the war-room and replay reports see it.

At the bottom of the house because the message context carries the alerts its message raised
(`MessageContext.spike_alerts`), and the war-room and the API read them without depending on the
detector that made them. The stored alert record (`Alert`) lives here too, for the same reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.core.stored import SparseRecord

SpikeKind = Literal["spike", "trend"]


class SpikeAlert(BaseModel):
    """One spike as the war-room sees it; updates repeat the `alert_id` with `is_update=True`."""

    alert_id: str
    kind: SpikeKind
    topic: str
    at: datetime
    first_message_at: datetime
    count: int
    baseline_per_window: float
    negative_share: float
    message_keys: list[str] = Field(default_factory=list)
    curve: list[tuple[datetime, int]] = Field(default_factory=list)
    is_update: bool = False
    keys: list[str] = Field(default_factory=list, description="every key folded into this spike")
    ended_at: datetime | None = Field(default=None, description="set on the closing update only")
    opened_at: datetime | None = Field(default=None, description="`at` of the alert's first emission")


class Alert(SparseRecord):
    """One alert record (`RecordKind.ALERT`): a crisis, a spike or trend, or an SLA warning.

    The detectors write it, the war-room acknowledges it and declares outages from it, the API
    and the dashboard list it: one model instead of dict keys spelt in each. Only the fields a
    writer set are stored (`data()`), so each kind keeps its own fields and records written
    before the model read back unchanged; unknown fields (`related_messages` appended by the
    thread watcher, a future field) are kept.
    """

    kind: str = Field("crisis", description="crisis, spike, trend or sla")
    status: str = Field("open", description="open, acknowledged or closed")
    topic: str | None = None
    at: str = Field("", description="ISO 8601: when it was raised (a spike's first emission)")
    # Crisis: the message that raised it, and the draft waiting for approval.
    message_key: str | None = None
    message_id: str | None = None
    channel: str | None = None
    author: str | None = None
    followers: int | None = None
    verified: bool = False
    text: str | None = None
    language: str | None = None
    why: str | None = None
    risks: list[str] = Field(default_factory=list)
    first_message_at: str | None = None
    draft_id: str | None = None
    incident_id: str | None = None
    related_articles: list[dict[str, Any]] = Field(default_factory=list)
    related_messages: list[dict[str, Any]] = Field(default_factory=list)
    # Spike and trend figures.
    updated_at: str | None = None
    count: int = 0
    baseline_per_window: float = 0.0
    negative_share: float = 0.0
    keys: list[str] = Field(default_factory=list)
    message_keys: list[str] = Field(default_factory=list)
    curve: list[Any] = Field(default_factory=list, description="(ISO time, count) pairs")
    outage_id: str | None = Field(None, description="the outage declared from this spike")
    # SLA warnings and breaches: the case and which target.
    case_id: str | None = None
    sla: str | None = None
    level: str | None = None
    due: str | None = None
    priority: str | None = None
    # Set by the war-room's acknowledgement.
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
