"""An incident, as stored (`RecordKind.INCIDENT`): detected (a spike opened it) or declared.

A negative spike opens a detected incident that the cases of its complaints join; on-call staff
declare an outage (`scheduler/outages.py`), which the pipeline then matches complaints to and
whose notices, updates and resolution the scheduler posts. Spike detection, the scheduler, the
war-room and the dashboard all read these, so they share this model instead of dict keys.

Only the fields a writer set are stored (`data()`), so a detected incident keeps its four
fields and records written before the model read back unchanged; unknown fields are kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from bot.core.stored import SparseRecord


class Incident(SparseRecord):
    """One incident; `declared` ones carry the outage's title, matching keys and posting plan."""

    status: str = "open"
    opened_at: str = Field("", description="ISO 8601")
    topic: str | None = None
    # Detected: the spike alert that opened it.
    alert_id: str | None = None
    # Declared outages.
    declared: bool = False
    title: str = ""
    region: str | None = None
    match_keys: list[str] = Field(default_factory=list, description="topic keys a complaint must carry")
    channels: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    update_every_s: float | None = None
    opened_by: str | None = None
    last_update_slot: int = 0
    complainers: list[dict[str, Any]] = Field(default_factory=list)
    resolved_at: str | None = None
    resolved_by: str | None = None
