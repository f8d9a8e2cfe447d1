"""The `HotPathStore` protocol: what every message touches, fast, on SQLite or Redis.

Intake queue, claims and redelivery, the dedupe window, dead letters, guard counters and
reservations, flags (the kill switch) and leader leases. Nothing here is queried by people;
it is either short-lived or a small flag, so it lives where writes are cheapest (Redis in
production, the embedded SQLite file otherwise). Records live in `RecordStore`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.models import Claim, DeadLetter, InboundMessage
from bot.store.base import StoreSettings
from bot.store.records import Page


class HotPathStore(Protocol):
    """Coroutine-safe for many workers; the Redis one for many replicas."""

    settings: StoreSettings

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    async def clear(self) -> None: ...

    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]: ...

    async def claim(self, consumer: str, count: int) -> list[Claim]: ...

    async def ack(self, claims: Sequence[Claim]) -> None: ...

    async def release(self, claims: Sequence[Claim]) -> None: ...

    async def fail(self, claim: Claim, error: str) -> bool: ...

    async def queue_depth(self) -> int: ...

    async def oldest_waiting(self) -> float | None:
        """Since when (Unix seconds) the oldest claimable message has waited (`Store`)."""

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        """Newest first, keyset-paginated (`Store`)."""

    async def count_dead_letters(self) -> int: ...

    async def requeue_dead_letter(self, message_key: str) -> bool: ...

    async def get_message(self, message_key: str) -> InboundMessage | None: ...

    async def forget_messages(self, message_keys: Sequence[str], placeholder: str) -> int:
        """Blank the personal fields of these stored messages and their dead letters (an
        erasure); how many stored bodies were rewritten."""

    async def forget_queued(self, channel: str, handle: str, placeholder: str) -> int:
        """`forget_messages` for the messages of this author still in the intake, found by an
        index on the author's digest: a message not yet processed belongs to no case, so an
        erasure could not name its key."""

    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        """Set-if-absent on the caller's clock; the same `owner` may take its own again (`Store`)."""

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int: ...

    async def reserve_and_count(
        self, key: str, *, now: datetime, until: datetime, owner: str | None, counter: str, window_s: float
    ) -> int | None:
        """`reserve(key)` and, only when it was taken, `incr_window(counter)`: one call where a
        store can do both at once (the reply guard makes both for every automatic reply).
        None when the reservation was refused (nothing counted), else the window's count."""

    async def get_flag(self, name: str) -> str | None: ...

    async def set_flag(self, name: str, value: str | None) -> None: ...

    # --- leader leases (wall clock) -----------------------------------------------------
    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Take the lease `name` for `ttl_s` seconds if it is free or expired, or extend it if
        `owner` already holds it. True when `owner` holds it afterwards."""

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        """Extend the lease only if `owner` still holds it (a leader that lost it must stop)."""

    async def release_lease(self, name: str, owner: str) -> bool:
        """Give the lease up if `owner` holds it; True when it did."""

    async def lease_holder(self, name: str) -> str | None: ...
