"""A volume spike (or trend) as the pipeline, the war-room and replay reports see it.

At the bottom of the house because the message context carries the alerts its message raised
(`MessageContext.spike_alerts`), and the war-room and the API read them without depending on the
detector that made them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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
