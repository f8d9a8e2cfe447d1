"""Typed records over the generic records table: load one, compare-and-set it back.

Cases and customers are pydantic models stored as a record's JSON body; both are changed by
reading a version and writing only if nobody wrote in between. One pair of functions does it
for both, so the compare-and-set rule is written once.
"""

from __future__ import annotations

from typing import Any, Protocol, Self, TypeVar

from bot.store.records import RecordStore


class Versioned(Protocol):
    id: str
    version: int

    def record_data(self) -> dict[str, Any]: ...

    @classmethod
    def from_record(cls, record_id: str, version: int, data: dict[str, Any]) -> Self: ...

    def model_copy(self, *, update: dict[str, Any] | None = None, deep: bool = False) -> Self: ...


V = TypeVar("V", bound=Versioned)


async def load_versioned(store: RecordStore, kind: str, record_id: str, model: type[V]) -> V | None:
    record = await store.get_record(kind, record_id)
    return model.from_record(record.id, record.version, record.data) if record else None


async def save_versioned(store: RecordStore, kind: str, value: V) -> V | None:
    """Write `value` if the stored version is still the one it was read at (0: absent); the
    saved value with its new version, or None when someone wrote in between."""
    if not await store.cas_record(kind, value.id, expected_version=value.version, data=value.record_data()):
        return None
    return value.model_copy(update={"version": value.version + 1})
