"""The kinds of versioned records the service keeps, named once.

Every record (a case, an alert, a draft, ...) is stored under one of these kinds. The enum is a
`StrEnum`, so stored keys stay the plain strings they always were ("alert", "case") and old
stores keep working.
"""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    """What a stored record is."""

    ALERT = "alert"
    CASE = "case"
    DRAFT = "draft"
    INCIDENT = "incident"
    AGENT_QUEUE = "agent_queue"
    ECHO = "echo"
    WARROOM = "warroom"

    @classmethod
    def from_plural(cls, name: str) -> RecordKind | None:
        """`alerts` -> ALERT, `agent-queue` -> RecordKind.AGENT_QUEUE: the API's collection names."""
        singular = name.replace("-", "_")
        for kind in cls:
            if singular in (kind.value, kind.value + "s"):
                return kind
        return None
