"""A campaign as its YAML file defines it (`../shared/FORMATS.md`, "Campaigns").

The shape is checked by pydantic; what needs the channel table, the language list or the
calendar (limits, unknown names, times outside the window) is checked by `campaign_plan`, which
lists every problem at once with the step, channel and language it concerns, so the author fixes
the file in one pass. A definition that passed both is what the records and the scheduler keep.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.zones import known_zone

CAMPAIGN_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class CampaignWindow(BaseModel):
    """The days the campaign runs, both included, in its own time zone."""

    model_config = ConfigDict(extra="forbid")

    start: date
    end: date
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    @model_validator(mode="after")
    def _ordered(self) -> CampaignWindow:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CampaignStep(BaseModel):
    """One post (or private message, with a segment) of the sequence, in every language given.

    `channel_text` replaces `text` for one channel (a shorter X version, say), language by language.
    """

    model_config = ConfigDict(extra="forbid")

    at: str = Field(description="start|end, optional ±Nd, local HH:MM in the window's zone")
    text: dict[str, str] = Field(min_length=1)
    channel_text: dict[str, dict[str, str]] = Field(default_factory=dict)

    def texts(self, channel: str) -> dict[str, str]:
        """The text of each language on `channel`."""
        return {**self.text, **self.channel_text.get(channel, {})}


class CampaignSegment(BaseModel):
    """Who receives a segment campaign's private messages: every listed attribute must match."""

    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    plans: list[str] = Field(default_factory=list)
    communities: list[str] = Field(default_factory=list)
    audience: Literal["customers", "followers", "both"] = "both"


class CampaignDefinition(BaseModel):
    """The whole file: what the records keep and the scheduler posts from."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=CAMPAIGN_ID)
    name: str = Field(min_length=1, max_length=200)
    window: CampaignWindow
    channels: list[str] = Field(min_length=1)
    account: Literal["official", "robot"] = "official"
    steps: list[CampaignStep] = Field(min_length=1)
    segment: CampaignSegment | None = None

    def digest(self) -> str:
        """Identifies this content: a file edited after approval is told apart from the approved one."""
        body = self.model_dump_json().encode()
        return hashlib.sha256(body).hexdigest()[:16]


class FileProblem(BaseModel):
    """One problem of a campaign file, in the `errors` shape of `preview` (FORMATS.md)."""

    step: int | None = None
    channel: str | None = None
    lang: str | None = None
    error: str


def parse_campaign(text: str) -> tuple[CampaignDefinition | None, list[FileProblem], str | None]:
    """The definition, or None with every shape problem; also the file's `id` when it has one."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        return None, [FileProblem(error=f"not valid YAML{line}: {getattr(exc, 'problem', exc)}")], None
    if not isinstance(raw, dict):
        return None, [FileProblem(error="a campaign file is one YAML mapping (id, name, window, ...)")], None
    raw_id = raw.get("id")
    campaign_id = str(raw_id) if raw_id is not None else None
    try:
        return CampaignDefinition.model_validate(raw), [], campaign_id
    except ValidationError as exc:
        return None, [_problem(error) for error in exc.errors()], campaign_id


def _problem(error: Any) -> FileProblem:
    """A pydantic error as a file problem; one inside `steps[i]` names step i + 1."""
    loc = [str(part) for part in error.get("loc", ())]
    step = int(loc[1]) + 1 if len(loc) > 1 and loc[0] == "steps" and loc[1].isdigit() else None
    field = ".".join(loc) or "file"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return FileProblem(step=step, error=f"{field}: {message}")
