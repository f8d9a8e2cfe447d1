"""Cases as typed records: one per customer problem, with a short reference people can quote.

Why typed here and stored in the generic `records` table: the engine, the API, the CLI and the
replay report all read and change cases, and one model keeps them agreeing on the fields and on
which status changes are allowed, while the table needs no migration of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, Field

from bot.core.customers import identity_id
from bot.core.models import Channel

CaseStatus = Literal["open", "pending", "solved", "closed"]
CASE_STATUSES: Final[tuple[CaseStatus, ...]] = get_args(CaseStatus)
Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: Final[tuple[Priority, ...]] = get_args(Priority)
CaseOutcome = Literal["opened", "joined", "reopened"]

# Where each status may go. `solved` may still go back to `open` (the customer says it is not
# fixed); `closed` is final except for a reopen by a new complaint within the reopen window.
TRANSITIONS: Final[dict[CaseStatus, frozenset[CaseStatus]]] = {
    "open": frozenset({"pending", "solved", "closed"}),
    "pending": frozenset({"open", "solved", "closed"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
ACTIVE: Final[frozenset[CaseStatus]] = frozenset({"open", "pending"})
REFERENCE_PREFIX: Final = "C-"
FIRST_NUMBER: Final = 1001
# The reason a case gets when another writer opened the identity's case at the same moment.
DUPLICATE_REASON: Final = "duplicate: another case was opened for this identity at the same moment"


def case_reference(number: int) -> str:
    """`C-1042`: short enough to read out on the phone, unique because the number is allocated
    from one counter in the records database."""
    return f"{REFERENCE_PREFIX}{number}"


def identity_key(channel: str, handle: str, customer_id: str | None = None) -> str:
    """Who a follow-up must come from to join a case: the CRM customer when known (any of their
    channels), else the channel identity. Handles are compared without case or a leading @."""
    if customer_id:
        return customer_identity(customer_id)
    return identity_id(channel, handle)


def customer_identity(customer_id: str) -> str:
    return f"customer:{customer_id}"


class CaseComment(BaseModel):
    """A follow-up message or a staff note on a case."""

    key: str  # the message key, or `note:<n>` for a staff note
    at: datetime
    author: str
    text: str
    kind: Literal["message", "note", "status"] = "message"


class PendingSpan(BaseModel):
    """A stretch the case spent `pending` (waiting on the customer): the SLA clock stood still.
    `end` is None while the case is still pending."""

    start: datetime
    end: datetime | None = None


# Spans kept per case; older ones are folded into the first so the total paused time holds.
MAX_PENDING_SPANS: Final = 50


class Case(BaseModel):
    """One customer problem. `version` is the record's, for compare-and-set updates."""

    id: str
    status: CaseStatus = "open"
    priority: Priority = "normal"
    category: str | None = None
    message_key: str
    channel: Channel
    author: str
    identity: str
    customer_id: str | None = None
    text: str = ""
    language: str = "en"
    incident_id: str | None = None
    reason: str = ""
    crm: bool = True
    crm_sync: str = "pending"
    opened_at: datetime
    updated_at: datetime | None = None
    # The first answer by a person (a note, a status change): the SLA's first response.
    first_response_at: datetime | None = None
    solved_at: datetime | None = None
    closed_at: datetime | None = None
    reopened: int = 0
    contacts: int = 1
    comments: list[CaseComment] = Field(default_factory=list)
    # Where the customer wrote first: the solved notice goes back to this thread.
    reply_target: str | None = None
    pending_spans: list[PendingSpan] = Field(default_factory=list)
    version: int = 0

    def record_data(self) -> dict[str, Any]:
        """The stored JSON (the version lives in the record, not in its body)."""
        return self.model_dump(mode="json", exclude={"version", "id"})

    @classmethod
    def from_record(cls, record_id: str, version: int, data: dict[str, Any]) -> Case:
        return cls.model_validate({**data, "id": record_id, "version": version})

    def may_become(self, status: CaseStatus) -> bool:
        return status in TRANSITIONS[self.status]

    def pause_update(self, status: CaseStatus, at: datetime) -> dict[str, Any]:
        """The `pending_spans` after a move to `status` at `at`: entering `pending` starts a
        span, leaving it ends the open one; any other move keeps them as they are."""
        spans = list(self.pending_spans)
        if status == "pending" and self.status != "pending":
            spans.append(PendingSpan(start=at))
        elif self.status == "pending" and status != "pending" and spans and spans[-1].end is None:
            spans[-1] = spans[-1].model_copy(update={"end": at})
        return {"pending_spans": spans[-MAX_PENDING_SPANS:]}

    def reopenable(self, now: datetime, window: timedelta) -> bool:
        """A new complaint within `window` of the solution reopens the case instead of a new one."""
        if self.status in ACTIVE:
            return False
        ended = self.solved_at or self.closed_at
        return ended is not None and now - ended <= window
