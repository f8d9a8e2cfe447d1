"""The bodies of the case and customer endpoints (`bot/web/api_cases.py`, `api_customers.py`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.cases import Case, CaseStatus
from bot.core.customers import Customer


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


class CustomerAnswer(BaseModel):
    customer: Customer


class IdentityBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=32)
    handle: str = Field(min_length=1, max_length=256)


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: str = Field(min_length=1, max_length=128, description="the customer that remains")


class EraseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(None, max_length=200, description="who asked (audited; default api)")


class CustomerChangeAnswer(BaseModel):
    outcome: Literal["changed", "unchanged", "not_found", "refused"]
    message: str
    customer: Customer | None = None


class ErasureAnswer(BaseModel):
    erased: str
    cases: int
    identities: int
    outbox_items: int
    hot_messages: int = Field(0, description="stored message bodies and dead letters blanked")
    crm_tickets: int = Field(0, description="CRM tickets whose CRM-side erasure was queued")


class SlaAnswer(BaseModel):
    """p50 / p90 in business seconds (null when no case has the measure yet)."""

    cases: int
    breached: int = Field(description="solved cases whose resolution missed its target")
    first_response_s: dict[str, float | None]
    resolution_s: dict[str, float | None]
