"""The base of the typed records that store only what their writer set.

Alerts and incidents are written by several producers, each with its own fields, and records
written before their models exist must read back unchanged. So these models keep unknown fields
and store `exclude_unset`: each writer's record has exactly the fields it gave.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from bot.core.models import Record


class SparseRecord(BaseModel):
    """A record model whose stored form is the fields that were set, plus any unknown ones."""

    model_config = ConfigDict(extra="allow")

    @classmethod
    def from_record(cls, record: Record) -> Self:
        return cls.model_validate(record.data)

    def data(self) -> dict[str, Any]:
        """As stored: the fields that were set (and any unknown ones read with the record)."""
        return self.model_dump(exclude_unset=True)
