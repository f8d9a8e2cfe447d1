"""Customers and the social identities linked to them.

Why a customer record apart from the cases: the same person writes from X, WhatsApp and e-mail;
once their identities are linked, a follow-up on any of them joins their open case, their
preferred language wins for replies, and one erasure request removes them everywhere.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, Field, field_validator

ERASED: Final = "[erased]"


def identity_id(channel: str, handle: str) -> str:
    """The identity's record id: channel and handle, compared without case or a leading @."""
    return f"{channel}:{handle.strip().lstrip('@').casefold()}"


class Identity(BaseModel):
    channel: str = Field(min_length=1, max_length=32)
    handle: str = Field(min_length=1, max_length=256)

    @property
    def id(self) -> str:
        return identity_id(self.channel, self.handle)


class Customer(BaseModel):
    """A customer as the company knows them (from a CSV import, the API or the CRM)."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    name: str | None = Field(None, max_length=256)
    contract_number: str | None = Field(None, max_length=64)
    email: str | None = Field(None, max_length=256)
    phone: str | None = Field(None, max_length=64)
    preferred_language: str | None = Field(None, max_length=8)
    segments: list[str] = Field(default_factory=list)
    # Where the record came from when not an import or the API: `crm` (found by its look-up).
    source: str | None = Field(None, max_length=32)
    identities: list[Identity] = Field(default_factory=list)
    merged_into: str | None = None
    erased: bool = False
    version: int = 0

    @field_validator("preferred_language")
    @classmethod
    def _language_code(cls, value: str | None) -> str | None:
        return value.strip().lower()[:2] or None if value else None

    def record_data(self) -> dict[str, Any]:
        # `customer_id` fills the records table's indexed customer column.
        return {**self.model_dump(mode="json", exclude={"version", "id"}), "customer_id": self.id}

    @classmethod
    def from_record(cls, record_id: str, version: int, data: dict[str, Any]) -> Customer:
        fields = {k: v for k, v in data.items() if k != "customer_id"}
        return cls.model_validate({**fields, "id": record_id, "version": version})

    def without_personal_data(self) -> Customer:
        """What remains after an erasure: the id (so the audit entry still means something)."""
        return Customer(id=self.id, erased=True, version=self.version)
