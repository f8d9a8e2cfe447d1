"""SLA targets: time to first response and to resolution, per priority and channel, counted in
the business hours of the team that owns the channel.

Why targets in business time: a team that works 9 to 18 in Madrid must not breach overnight,
and an urgent target on a 24/7 channel must run at 3 a.m.; the team's `BusinessHours` decide.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, Field

from bot.core.business_hours import BusinessHours
from bot.core.cases import Case, Priority

SlaKind = Literal["first_response", "resolution"]
SlaLevel = Literal["near_breach", "breach"]


class SlaTarget(BaseModel):
    first_response_min: float = Field(gt=0)
    resolution_min: float = Field(gt=0)

    def seconds(self, kind: SlaKind) -> float:
        return 60 * (self.first_response_min if kind == "first_response" else self.resolution_min)


DEFAULT_TARGETS: Final[dict[Priority, SlaTarget]] = {
    "urgent": SlaTarget(first_response_min=30, resolution_min=4 * 60),
    "high": SlaTarget(first_response_min=60, resolution_min=8 * 60),
    "normal": SlaTarget(first_response_min=4 * 60, resolution_min=3 * 8 * 60),
    "low": SlaTarget(first_response_min=8 * 60, resolution_min=5 * 8 * 60),
}


class SlaSettings(BaseModel):
    """`CENTINELA_CASES__SLA__*`, or the `cases.sla` section of the YAML file."""

    check_interval_s: float = Field(60.0, gt=0, description="how often open cases are checked")
    near_breach: float = Field(0.8, gt=0, lt=1, description="share of the target that raises a warning")
    targets: dict[Priority, SlaTarget] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    channel_targets: dict[str, dict[Priority, SlaTarget]] = Field(
        default_factory=dict, description="per channel, overriding `targets` for the priorities named"
    )
    teams: dict[str, BusinessHours] = Field(default_factory=lambda: {"default": BusinessHours()})
    channel_teams: dict[str, str] = Field(default_factory=dict, description="channel -> team; else default")

    def target(self, case: Case) -> SlaTarget:
        override = self.channel_targets.get(case.channel, {})
        return (
            override.get(case.priority) or self.targets.get(case.priority) or DEFAULT_TARGETS[case.priority]
        )

    def hours(self, case: Case) -> BusinessHours:
        team = self.channel_teams.get(case.channel, "default")
        return self.teams.get(team) or self.teams.get("default") or BusinessHours()

    def paused(self, case: Case, until: datetime) -> float:
        """Business seconds the case spent `pending` before `until` (a span still open runs to
        `until`): the clock stands still while the company waits on the customer."""
        hours = self.hours(case)
        return sum(
            hours.elapsed(span.start, min(span.end or until, until))
            for span in case.pending_spans
            if span.start < until
        )

    def used(self, case: Case, until: datetime) -> float:
        """Business seconds of the SLA clock from the opening to `until`, pauses left out."""
        elapsed = self.hours(case).elapsed(case.opened_at, until)
        return max(0.0, elapsed - self.paused(case, until))

    def deadline(self, case: Case, kind: SlaKind, now: datetime) -> datetime:
        """When the target runs out, counting the pauses up to `now` (a pending case's deadline
        moves on while it waits)."""
        seconds = self.target(case).seconds(kind) + self.paused(case, now)
        return self.hours(case).deadline(case.opened_at, seconds)
