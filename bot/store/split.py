"""`SplitStore`: the `Store` the pipeline sees, made of a hot path and a records store.

Why a composition and not a bigger class: the two halves have different backends (SQLite or
Redis; SQLite or PostgreSQL) and different contract suites, but the pipeline, responders and
API keep one object to talk to. Each call goes to the half that owns it; `backends()` reports
each half for `/readyz`. When both halves share one SQLite file they share its writer thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.models import AuditEvent, Claim, DeadLetter, Decision, InboundMessage, OutboxItem, Record
from bot.store.base import StoreSettings
from bot.store.hot_path import HotPathStore
from bot.store.records import Page, RecordStore, RecordWrite


class SplitStore:
    """Delegates the `Store` protocol: queue, guards, flags and leases to `hot`, the rest to
    `records`."""

    def __init__(self, hot: HotPathStore, records: RecordStore) -> None:
        self._hot = hot
        self._records = records

    @property
    def hot(self) -> HotPathStore:
        return self._hot

    @property
    def records(self) -> RecordStore:
        return self._records

    @property
    def settings(self) -> StoreSettings:
        return self.hot.settings

    async def open(self) -> None:
        await self.hot.open()
        try:
            await self.records.open()
        except BaseException:
            await self.hot.close()
            raise

    async def close(self) -> None:
        try:
            await self.records.close()
        finally:
            await self.hot.close()

    async def ping(self) -> bool:
        return all((await self.backends()).values())

    async def backends(self) -> dict[str, bool]:
        """Each backend's health, by name, for `/readyz`."""
        return {"hot_path": await self.hot.ping(), "records": await self.records.ping()}

    async def clear(self) -> None:
        await self.hot.clear()
        await self.records.clear()

    # --- hot path -----------------------------------------------------------------------
    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        return await self.hot.enqueue(messages)

    async def claim(self, consumer: str, count: int) -> list[Claim]:
        return await self.hot.claim(consumer, count)

    async def ack(self, claims: Sequence[Claim]) -> None:
        await self.hot.ack(claims)

    async def release(self, claims: Sequence[Claim]) -> None:
        await self.hot.release(claims)

    async def fail(self, claim: Claim, error: str) -> bool:
        return await self.hot.fail(claim, error)

    async def queue_depth(self) -> int:
        return await self.hot.queue_depth()

    async def oldest_waiting(self) -> float | None:
        return await self.hot.oldest_waiting()

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return await self.hot.dead_letters(limit)

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        return await self.hot.dead_letter_page(cursor=cursor, limit=limit)

    async def count_dead_letters(self) -> int:
        return await self.hot.count_dead_letters()

    async def requeue_dead_letter(self, message_key: str) -> bool:
        return await self.hot.requeue_dead_letter(message_key)

    async def get_message(self, message_key: str) -> InboundMessage | None:
        return await self.hot.get_message(message_key)

    async def forget_messages(self, message_keys: Sequence[str], placeholder: str) -> int:
        return await self.hot.forget_messages(message_keys, placeholder)

    async def forget_queued(self, channel: str, handle: str, placeholder: str) -> int:
        return await self.hot.forget_queued(channel, handle, placeholder)

    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        return await self.hot.reserve(key, now=now, until=until, owner=owner)

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int:
        return await self.hot.incr_window(key, now=now, window_s=window_s)

    async def reserve_and_count(
        self, key: str, *, now: datetime, until: datetime, owner: str | None, counter: str, window_s: float
    ) -> int | None:
        return await self.hot.reserve_and_count(
            key, now=now, until=until, owner=owner, counter=counter, window_s=window_s
        )

    async def get_flag(self, name: str) -> str | None:
        return await self.hot.get_flag(name)

    async def set_flag(self, name: str, value: str | None) -> None:
        await self.hot.set_flag(name, value)

    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        return await self.hot.acquire_lease(name, owner, ttl_s)

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        return await self.hot.renew_lease(name, owner, ttl_s)

    async def release_lease(self, name: str, owner: str) -> bool:
        return await self.hot.release_lease(name, owner)

    # --- records ------------------------------------------------------------------------
    async def save_decisions(
        self, decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()
    ) -> None:
        await self.records.save_decisions(decisions, records)

    async def get_decision(self, message_key: str) -> Decision | None:
        return await self.records.get_decision(message_key)

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]:
        return await self.records.list_decisions(action=action, limit=limit)

    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        return await self.records.add_outbox(items)

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]:
        return await self.records.due_outbox(now, limit)

    async def lease_outbox(
        self, now: datetime, limit: int, *, owner: str, lease_s: float
    ) -> list[OutboxItem]:
        return await self.records.lease_outbox(now, limit, owner=owner, lease_s=lease_s)

    async def update_outbox(self, item: OutboxItem) -> None:
        await self.records.update_outbox(item)

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        await self.records.update_outboxes(items)

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None:
        return await self.records.get_outbox(idempotency_key)

    async def outbox_keys_of(self, message_keys: Sequence[str]) -> set[str]:
        return await self.records.outbox_keys_of(message_keys)

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        return await self.records.list_outbox(status=status, limit=limit)

    async def outbox_counts(self) -> dict[str, int]:
        return await self.records.outbox_counts()

    async def append_audit(self, events: Sequence[AuditEvent]) -> None:
        await self.records.append_audit(events)

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]:
        return await self.records.list_audit(kind=kind, limit=limit)

    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool:
        return await self.records.put_record(kind, record_id, data, only_if_absent=only_if_absent)

    async def get_record(self, kind: str, record_id: str) -> Record | None:
        return await self.records.get_record(kind, record_id)

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        return await self.records.get_records(kind, record_ids)

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        return await self.records.cas_record(kind, record_id, expected_version=expected_version, data=data)

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        return await self.records.list_records(kind, limit=limit)

    async def count_records(self, kind: str) -> int:
        return await self.records.count_records(kind)
