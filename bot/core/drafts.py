"""A drafted reply waiting for a person, as stored (`RecordKind.DRAFT`, id = the message key).

At the bottom of the house because the war-room, the REST API, the scheduler's incident of the
day and the crisis responder all read and write drafts; they share this one typed record instead
of a dict each. The responder that composes a draft's text stays in `responders/drafts.py`.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel

from bot.core.models import Record

DraftStatus = Literal["pending", "approved", "rejected", "published", "failed", "needs_review"]
DRAFT_STATUSES: tuple[str, ...] = typing.get_args(DraftStatus)
FINAL_STATUSES: frozenset[str] = frozenset({"rejected", "published", "failed", "needs_review"})


class Draft(BaseModel):
    """A draft as stored; `version` comes from the record, not from its data."""

    id: str
    version: int = 0
    status: DraftStatus = "pending"
    alert_id: str
    message_key: str
    message_id: str
    channel: str
    author: str = ""
    language: str = ""
    text: str
    source: str = ""
    final_text: str | None = None
    edited: bool = False
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    outbox_key: str | None = None
    result: str | None = None
    created_at: str = ""

    @classmethod
    def from_record(cls, record: Record) -> Draft:
        return cls.model_validate({**record.data, "id": record.id, "version": record.version})

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"id", "version"})
