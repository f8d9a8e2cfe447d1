"""The `Store` protocol: every durable thing the service keeps goes through it.

It is made of two halves (issue 9): a hot path on SQLite or Redis and records in SQL (SQLite or
PostgreSQL), each with its own contract suite, so the pipeline never knows which it has. Everything that must
survive a crash or be shared between workers lives here: the intake queue, dedupe window,
decisions, outbox, dead letters, audit log, reservations (idempotency and rate guards), flags
(the kill switch) and versioned records (cases, incidents, alerts, drafts, campaign steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from bot.core.models import AuditEvent, Claim, DeadLetter, Decision, InboundMessage, OutboxItem, Record

if TYPE_CHECKING:
    from bot.store.hot_path import HotPathStore
    from bot.store.records import Page, RecordStore, RecordWrite


class StoreUnavailable(RuntimeError):
    """The store cannot be reached; the service refuses to start rather than run without it."""


class DeadLetterUnloadable(ValueError):
    """The dead letter's stored message cannot be loaded: re-queueing it would only cycle."""


class StoreSettings(BaseModel):
    """Behaviour shared by every store implementation."""

    dedupe_window_s: float = 7 * 24 * 3600
    visibility_timeout_s: float = 30.0
    max_attempts: int = 5
    retry_backoff_s: float = 2.0


class Store(Protocol):
    """Durable state behind the pipeline. All methods are coroutine-safe for many workers.

    Since the split (issue 9) it is a composition (`bot/store/split.py`): `hot` is the
    `HotPathStore` (SQLite or Redis), `records` the `RecordStore` (SQLite or PostgreSQL), whose
    filtered, paginated queries the API uses directly.
    """

    @property
    def settings(self) -> StoreSettings: ...

    @property
    def hot(self) -> HotPathStore: ...

    @property
    def records(self) -> RecordStore: ...

    async def backends(self) -> dict[str, bool]:
        """Each backend's health by name (`hot_path`, `records`), for `/readyz`."""

    async def open(self) -> None:
        """Connect and prepare; raise `StoreUnavailable` with a readable reason if impossible."""

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the store answers; used by `/readyz`."""

    async def clear(self) -> None:
        """Remove everything in this store's namespace (tests and throw-away replays)."""

    # --- intake -------------------------------------------------------------------------
    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        """Durably store and queue messages; True per message that is new.

        Returns only after the messages are durable. A message whose (channel, id) was seen
        within the dedupe window is not queued again (False).
        """

    async def claim(self, consumer: str, count: int) -> list[Claim]:
        """Hand up to `count` messages to `consumer`.

        The consumer's own unacked claims (from before a restart) come first, then claims of
        any consumer older than the visibility timeout, then new messages. A message claimed
        more than `max_attempts` times is moved to the dead letters instead. A stored message
        that cannot be loaded is never handed out: its attempt is counted (outside any rollback)
        and it reaches the dead letters after `max_attempts`, so it never blocks the queue.
        """

    async def ack(self, claims: Sequence[Claim]) -> None:
        """Processing finished: the messages leave the queue (they stay in the dedupe window)."""

    async def release(self, claims: Sequence[Claim]) -> None:
        """Give claims back untouched (graceful shutdown); they are redelivered at once."""

    async def fail(self, claim: Claim, error: str) -> bool:
        """Processing raised: retry later, or dead-letter after `max_attempts`. True if dead."""

    async def queue_depth(self) -> int: ...

    async def oldest_waiting(self) -> float | None:
        """Since when (Unix seconds) the oldest claimable message has waited; None if none waits.

        Claimable: new, due for a retry, or claimed and not acked within the visibility timeout.
        `/readyz` compares it with a threshold: a queue that does not move while workers run is
        not ready, even when every backend answers.
        """

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        """Newest first, keyset-paginated on (failed at, key): every dead letter is on exactly one
        page even when more fail meanwhile. `InvalidCursor` for a cursor not handed out here."""

    async def count_dead_letters(self) -> int:
        """How many there are, without loading them (`/metrics`, replay reports)."""

    async def requeue_dead_letter(self, message_key: str) -> bool:
        """Put a dead letter back on the queue with its attempts reset; False if unknown.

        Raises `DeadLetterUnloadable` when its message cannot be loaded (it would fail again).
        """

    async def get_message(self, message_key: str) -> InboundMessage | None:
        """The stored message; `bot.store.letters.UnloadableMessage` if its body does not load."""

    # --- decisions ----------------------------------------------------------------------
    async def save_decisions(
        self, decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()
    ) -> None:
        """Upsert by message key: a redelivered message overwrites, never duplicates. `records`
        (write-only effects, as `RecordStore.put_records`) are stored in the same transaction."""

    async def get_decision(self, message_key: str) -> Decision | None: ...

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]:
        """Newest first."""

    # --- outbox -------------------------------------------------------------------------
    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        """Insert-if-absent on the idempotency key; True per item actually added."""

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Pending items whose next attempt is due, oldest first."""

    async def lease_outbox(
        self, now: datetime, limit: int, *, owner: str, lease_s: float
    ) -> list[OutboxItem]:
        """Due pending items, each handed to one publisher for `lease_s` (all replicas)."""

    async def update_outbox(self, item: OutboxItem) -> None: ...

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        """`update_outbox` for each of `items`, in one call."""

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None: ...

    async def outbox_keys_of(self, message_keys: Sequence[str]) -> set[str]:
        """The idempotency keys of the items queued for these messages, in one look-up."""

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]: ...

    async def outbox_counts(self) -> dict[str, int]:
        """Items per status, every status present (zero when none)."""

    # --- reservations, counters and flags -----------------------------------------------
    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        """Set-if-absent with an expiry on the caller's clock (replays use simulated time).

        True when the key was free (absent or expired at `now`) and is now held until `until`.
        A reservation held by the same `owner` counts as free (and is renewed): a redelivered
        message recognises the reservation it made before a crash, instead of being refused by it.
        """

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int:
        """Count one event in the fixed window containing `now`; returns the window's count."""

    async def reserve_and_count(
        self, key: str, *, now: datetime, until: datetime, owner: str | None, counter: str, window_s: float
    ) -> int | None:
        """`reserve(key)` and, only when it was taken, `incr_window(counter)`: one call where a
        store can do both at once (the reply guard makes both for every automatic reply).
        None when the reservation was refused (nothing counted), else the window's count."""

    async def get_flag(self, name: str) -> str | None: ...

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Leader lease (wall clock): take it if free or expired, extend it if already ours."""

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool: ...

    async def release_lease(self, name: str, owner: str) -> bool: ...

    async def set_flag(self, name: str, value: str | None) -> None:
        """None deletes the flag."""

    # --- audit --------------------------------------------------------------------------
    async def append_audit(self, events: Sequence[AuditEvent]) -> None: ...

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]:
        """Newest first."""

    # --- versioned records --------------------------------------------------------------
    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool:
        """Create or overwrite (version + 1). With `only_if_absent`, False if it existed."""

    async def get_record(self, kind: str, record_id: str) -> Record | None: ...

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        """Those of `record_ids` that exist, by id, in one round trip (batch look-ups)."""

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        """Write only if the stored version is `expected_version`: two approvers, one winner."""

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        """Newest first by last update."""

    async def count_records(self, kind: str) -> int: ...
