"""The bodies of the case endpoints (`bot/web/api_cases.py`), for the handlers and the OpenAPI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.cases import Case, CaseStatus


class CaseAnswer(BaseModel):
    case: Case


class CaseStatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CaseStatus = Field(description="open, pending (waiting on the customer), solved or closed")
    note: str | None = Field(None, max_length=4000, description="why (kept on the case)")
    actor: str | None = Field(None, max_length=200, description="who (audited; default api)")


class CaseNoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000)
    actor: str | None = Field(None, max_length=200, description="who (audited; default api)")


class CaseChangeAnswer(BaseModel):
    """What a status change or note did (409 when the change is not allowed from this status)."""

    outcome: Literal["changed", "unchanged", "not_found", "refused"]
    message: str
    case: Case | None = None
