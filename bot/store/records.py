"""The `RecordStore` protocol: what a person or a report asks about, kept in SQL.

Why apart from the hot path (`bot/store/hot_path.py`): records are queried (a case by customer,
open alerts, last week's volume by channel) and must outlive any queue, so they live in one SQL
schema on SQLite (embedded) or PostgreSQL (production), with indexed columns and keyset
pagination, while intake, claims, counters and leases stay on SQLite or Redis. One contract
suite (`tests/contract/test_record_store_contract.py`) runs against every backend.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar
from zoneinfo import ZoneInfo

from bot.core.models import AuditEvent, Decision, OutboxItem, Record
from bot.store.stats import AuthorStat, Dimension, StatCount, StatFilter

T = TypeVar("T")

MAX_PAGE = 1000


class InvalidCursor(ValueError):
    """A `cursor` that this store did not hand out (or that was altered)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, newest first; `next` is the opaque cursor of the following page,
    None on the last one. A page never hides matches: every match is on exactly one page."""

    items: list[T]
    next: str | None = None


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What a records query may filter on; every field maps to an indexed column."""

    kind: str
    status: str | None = None
    customer: str | None = None
    channel: str | None = None
    key: str | None = None
    priority: str | None = None
    since: datetime | None = None  # created at or after
    until: datetime | None = None  # created before


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """One `put_record` of a batch written in one transaction (`RecordStore.put_records`)."""

    kind: str
    record_id: str
    data: dict[str, Any]
    only_if_absent: bool = False


@dataclass(frozen=True, slots=True)
class RecordSwap:
    """One record of a `cas_records`: written only if still at `expected_version` (0: absent)."""

    kind: str
    record_id: str
    expected_version: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MinuteCount:
    """Decisions in one UTC minute for one channel, action and sentiment (the dashboard)."""

    minute: datetime
    channel: str
    action: str
    sentiment: str
    count: int


@dataclass(frozen=True, slots=True)
class Filters:
    """Optional filters of the decision, outbox and audit lists."""

    values: dict[str, str] = field(default_factory=dict)
    since: datetime | None = None
    until: datetime | None = None


def encode_cursor(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise InvalidCursor("cursor is not one this API handed out") from exc
    if not isinstance(position, list) or len(position) != arity:
        raise InvalidCursor("cursor is not one this API handed out")
    return position


class RecordStore(Protocol):
    """Durable records. Coroutine-safe; on PostgreSQL safe for many replicas at once."""

    async def open(self) -> None:
        """Connect and migrate in place; raise `StoreUnavailable` with a readable reason."""

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    async def clear(self) -> None: ...

    async def discard(self) -> None:
        """Throw this store's data away for good: a PostgreSQL store in a schema of its own
        (a replay's) drops the schema; any other clears its tables. Call before `close`."""

    # --- decisions ----------------------------------------------------------------------
    async def save_decisions(
        self, decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()
    ) -> None:
        """Upsert by message key (a redelivery overwrites, never duplicates); the per-minute
        counts of the dashboard move in the same transaction, and so do `records` (as
        `put_records`: a claimed batch's write-only effects, stored with its decisions)."""

    async def get_decision(self, message_key: str) -> Decision | None: ...

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]: ...

    async def query_decisions(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Decision]:
        """Filters: `action`, `channel`; `since`/`until` on `decided_at`."""

    async def minute_counts(self, since: datetime, until: datetime) -> list[MinuteCount]: ...

    async def stat_counts(
        self,
        since: datetime,
        until: datetime,
        *,
        step_minutes: int,
        group_by: Dimension,
        where: StatFilter,
        starts: Sequence[datetime] | None = None,
        zone: ZoneInfo | None = None,
    ) -> list[StatCount]:
        """The dashboard's aggregates: decisions per bucket of `step_minutes` (by the message's
        own time, UTC-aligned) or per bucket starting at each of `starts` (whole minutes; with
        `zone`, the local days of that zone, read from day totals when nothing is filtered),
        value of `group_by`, action and sentiment, in [since, until)."""

    async def author_stats(
        self, since: datetime, until: datetime, *, channel: str | None = None
    ) -> list[AuthorStat]:
        """Per author over the UTC days overlapping [since, until) (the People view)."""

    # --- outbox -------------------------------------------------------------------------
    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        """Insert-if-absent on the idempotency key (a unique constraint); True per item added."""

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]: ...

    async def lease_outbox(
        self, now: datetime, limit: int, *, owner: str, lease_s: float
    ) -> list[OutboxItem]:
        """Take up to `limit` due pending items for `lease_s`: no other caller gets them until
        the lease ends or `update_outbox` settles them (SKIP LOCKED on PostgreSQL)."""

    async def update_outbox(self, item: OutboxItem) -> None:
        """Store the item's new state and end its lease."""

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        """`update_outbox` for each of `items`, in one call."""

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None: ...

    async def outbox_keys_of(self, message_keys: Sequence[str]) -> set[str]:
        """The idempotency keys of the items queued for these messages (`message_key`), in one
        look-up for a whole claimed batch (an indexed column)."""

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]: ...

    async def query_outbox(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[OutboxItem]:
        """Filters: `status`, `channel`, `message_key`; `since`/`until` on `created_at`."""

    async def outbox_counts(self) -> dict[str, int]: ...

    # --- audit --------------------------------------------------------------------------
    async def append_audit(self, events: Sequence[AuditEvent]) -> None: ...

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]: ...

    async def query_audit(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[AuditEvent]:
        """Filters: `kind`, `subject`, `actor`; `since`/`until` on `at`."""

    # --- versioned records --------------------------------------------------------------
    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool: ...

    async def get_record(self, kind: str, record_id: str) -> Record | None: ...

    async def put_records(self, writes: Sequence[RecordWrite]) -> None:
        """Several `put_record`s in one transaction (a claimed batch's effects), in order."""

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]: ...

    async def records_by_key(self, kind: str, keys: Sequence[str]) -> dict[str, list[Record]]:
        """The records of `kind` about each of the messages `keys` (the indexed `key` column),
        in one round trip: what a claimed batch's redeliveries need to recognise."""

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        """Write only if the stored version is `expected_version` (0: absent)."""

    async def cas_records(self, swaps: Sequence[RecordSwap]) -> bool:
        """Compare-and-set of several records at once: all are written, in one transaction,
        if every one is still at its expected version; otherwise none is and the answer is
        False. What must change together (a case, its identity's pointer, what the message
        did) then costs one round trip and never leaves half of itself behind."""

    async def delete_record(self, kind: str, record_id: str) -> bool:
        """Remove a record for good (an erasure on request); True when it existed."""

    async def forget_author(self, channel: str, handle: str, replacement: str) -> int:
        """An erasure on request: the author's handle (compared as identities are: without case
        or a leading @) is replaced in every decision of theirs on `channel`, and their rows of
        the People figures go. Returns how many decisions changed."""

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        """Newest first by last update (the war-room's recent views)."""

    async def query_records(
        self, where: RecordFilter, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Record]:
        """Newest first by creation (stable under updates), filtered in the database."""

    async def count_records(self, kind: str, *, status: str | None = None) -> int: ...
