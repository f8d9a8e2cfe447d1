"""Redis store: shared state for several workers or replicas, on one Redis 7.

Why this shape: every key lives under `{namespace}:`, so tests and replays share a server
without seeing each other, and `clear()` removes exactly one namespace. The intake queue is
a Redis Stream (`redis_intake`); everything that must change together runs as one Lua
script (`redis_scripts`). Indexes are sorted sets next to a hash of JSON bodies, so lists
are "newest first" range reads and counts are exact.

Durability: `enqueue` returns once Redis has answered, which is "on disk" only with
`appendonly yes` + `appendfsync always` (Redis fsyncs the AOF before it replies). With
`everysec` a crash loses up to about a second of accepted messages; without AOF, everything
since the last RDB snapshot. `open()` checks and warns; we do not call WAIT, because replicas
acknowledging a write is not what makes a single node durable.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.core.models import (
    ACTIONS,
    OUTBOX_STATUSES,
    AuditEvent,
    Claim,
    DeadLetter,
    Decision,
    InboundMessage,
    OutboxItem,
    Record,
    utc_now,
)
from bot.store import redis_scripts as lua
from bot.store.base import StoreSettings, StoreUnavailable
from bot.store.redis_connect import connect, persistence_warning, redact_url, unlink_matching
from bot.store.redis_intake import RedisIntake, as_strs, hash_values

log = logging.getLogger(__name__)

EXPIRY_MARGIN_S = 3600  # wall-clock slack on caller-clock expiries, for slow replays
Arg = str | int | float


class RedisStore:
    """`Store` on Redis (see the module docstring for layout and durability)."""

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "centinela",
        settings: StoreSettings | None = None,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.settings = settings or StoreSettings()
        self._connect_timeout_s = connect_timeout_s
        self._client: aioredis.Redis | None = None
        self._intake_queue: RedisIntake | None = None
        self._scripts: dict[str, AsyncScript] = {}

    # --- plumbing -----------------------------------------------------------------------
    def _k(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    @property
    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            raise StoreUnavailable("Redis store is not open")
        return self._client

    @property
    def _intake(self) -> RedisIntake:
        if self._intake_queue is None:
            raise StoreUnavailable("Redis store is not open")
        return self._intake_queue

    async def _run(self, script: str, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        return await self._scripts[script](keys=keys, args=args, client=self._redis)

    async def _newest(self, index: str, hash_key: str, limit: int) -> list[str]:
        """Bodies from `hash_key` for the highest-scored `limit` members of `index`."""
        fields = as_strs(await self._redis.zrevrange(index, 0, limit - 1))
        return await hash_values(self._redis, hash_key, fields)

    async def open(self) -> None:
        client = await connect(self.url, connect_timeout_s=self._connect_timeout_s)
        intake = RedisIntake(client, self.namespace, self.settings)
        try:
            await intake.ensure_group()
        except RedisError as exc:
            await client.aclose()
            raise StoreUnavailable(f"cannot prepare the intake on {redact_url(self.url)}: {exc}") from exc
        self._client, self._intake_queue = client, intake
        for name in ("RESERVE", "OUTBOX_ADD", "OUTBOX_UPDATE", "RECORD_WRITE"):
            self._scripts[name] = client.register_script(getattr(lua, name))
        warning = await persistence_warning(client)
        if warning:
            log.warning("%s", warning, extra={"redis": redact_url(self.url)})

    async def close(self) -> None:
        client, self._client, self._intake_queue = self._client, None, None
        if client is not None:
            await client.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError, StoreUnavailable):
            return False

    async def clear(self) -> None:
        # The group goes with the stream; the next claim re-creates it (redis_scripts.CLAIM).
        await unlink_matching(self._redis, f"{self.namespace}:")

    # --- intake (redis_intake) ----------------------------------------------------------
    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        return await self._intake.enqueue(messages)

    async def claim(self, consumer: str, count: int) -> list[Claim]:
        return await self._intake.claim(consumer, count)

    async def ack(self, claims: Sequence[Claim]) -> None:
        await self._intake.ack(claims)

    async def release(self, claims: Sequence[Claim]) -> None:
        await self._intake.release(claims)

    async def fail(self, claim: Claim, error: str) -> bool:
        return await self._intake.fail(claim, error)

    async def queue_depth(self) -> int:
        return await self._intake.queue_depth()

    async def oldest_waiting(self) -> float | None:
        return await self._intake.oldest_waiting()

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return await self._intake.dead_letters(limit)

    async def requeue_dead_letter(self, message_key: str) -> bool:
        return await self._intake.requeue_dead_letter(message_key)

    async def get_message(self, message_key: str) -> InboundMessage | None:
        return await self._intake.get_message(message_key)

    # --- decisions ----------------------------------------------------------------------
    async def save_decisions(self, decisions: Sequence[Decision]) -> None:
        if not decisions:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for d in decisions:
                pipe.hset(self._k("decisions"), d.message_key, d.model_dump_json())
                pipe.zadd(self._k("decisions:by_time"), {d.message_key: d.decided_at.timestamp()})
                for action in ACTIONS:
                    pipe.zrem(self._k("decisions:action", action), d.message_key)
                pipe.zadd(self._k("decisions:action", d.action), {d.message_key: d.decided_at.timestamp()})
            await pipe.execute()

    async def get_decision(self, message_key: str) -> Decision | None:
        body = await self._redis.hget(self._k("decisions"), message_key)
        return None if body is None else Decision.model_validate_json(body)

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]:
        index = self._k("decisions:by_time") if action is None else self._k("decisions:action", action)
        bodies = await self._newest(index, self._k("decisions"), limit)
        return [Decision.model_validate_json(b) for b in bodies]

    # --- outbox -------------------------------------------------------------------------
    def _outbox_keys(self) -> list[str]:
        fixed = [self._k("outbox"), self._k("outbox:created"), self._k("outbox:due")]
        return fixed + [self._k("outbox:status", status) for status in OUTBOX_STATUSES]

    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        if not items:
            return []
        args: list[Arg] = []
        for item in items:
            args += [*_outbox_args(item), item.created_at.timestamp()]
        return [bool(flag) for flag in await self._run("OUTBOX_ADD", self._outbox_keys(), args)]

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]:
        due = await self._redis.zrangebyscore(self._k("outbox:due"), "-inf", now.timestamp(), 0, limit)
        bodies = await hash_values(self._redis, self._k("outbox"), as_strs(due))
        return [OutboxItem.model_validate_json(b) for b in bodies]

    async def update_outbox(self, item: OutboxItem) -> None:
        await self._run("OUTBOX_UPDATE", self._outbox_keys(), _outbox_args(item))

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None:
        body = await self._redis.hget(self._k("outbox"), idempotency_key)
        return None if body is None else OutboxItem.model_validate_json(body)

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        index = self._k("outbox:created") if status is None else self._k("outbox:status", status)
        bodies = await self._newest(index, self._k("outbox"), limit)
        return [OutboxItem.model_validate_json(b) for b in bodies]

    async def outbox_counts(self) -> dict[str, int]:
        async with self._redis.pipeline(transaction=True) as pipe:
            for status in OUTBOX_STATUSES:
                pipe.zcard(self._k("outbox:status", status))
            counts = await pipe.execute()
        return {status: int(n) for status, n in zip(OUTBOX_STATUSES, counts, strict=True)}

    # --- reservations, counters and flags -----------------------------------------------
    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        hold_s = max((until - now).total_seconds(), 1.0) + EXPIRY_MARGIN_S
        args: list[Arg] = [now.timestamp(), until.timestamp(), int(hold_s * 1000), owner or ""]
        return int(await self._run("RESERVE", [self._k("resv", key)], args)) == 1

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int:
        bucket = int(now.timestamp() // window_s)
        counter = self._k("window", f"{key}@{bucket}")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(counter)
            pipe.expire(counter, int(2 * window_s) + EXPIRY_MARGIN_S, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def get_flag(self, name: str) -> str | None:
        value = await self._redis.hget(self._k("flags"), name)
        return None if value is None else str(value)

    async def set_flag(self, name: str, value: str | None) -> None:
        if value is None:
            await self._redis.hdel(self._k("flags"), name)
        else:
            await self._redis.hset(self._k("flags"), name, value)

    # --- audit --------------------------------------------------------------------------
    async def append_audit(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            for event in events:
                body = event.model_dump_json()
                pipe.lpush(self._k("audit"), body)
                pipe.lpush(self._k("audit:kind", event.kind), body)
            await pipe.execute()

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]:
        index = self._k("audit") if kind is None else self._k("audit:kind", kind)
        bodies = await self._redis.lrange(index, 0, limit - 1)
        return [AuditEvent.model_validate_json(body) for body in bodies]

    # --- versioned records --------------------------------------------------------------
    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool:
        while True:  # optimistic: retry only when another writer got in between
            old = await self.get_record(kind, record_id)
            if old is not None and only_if_absent:
                return False
            if await self._write_record(kind, record_id, data, old):
                return True

    async def get_record(self, kind: str, record_id: str) -> Record | None:
        body = await self._redis.hget(self._k("rec", kind), record_id)
        return None if body is None else Record.model_validate_json(body)

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            return {}
        bodies = await self._redis.hmget(self._k("rec", kind), ids)
        pairs = zip(ids, bodies, strict=True)
        return {rid: Record.model_validate_json(body) for rid, body in pairs if body is not None}

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        old = await self.get_record(kind, record_id)
        if (old.version if old else 0) != expected_version:
            return False
        return await self._write_record(kind, record_id, data, old)

    async def _write_record(
        self, kind: str, record_id: str, data: dict[str, Any], old: Record | None
    ) -> bool:
        now = utc_now()
        record = Record(
            kind=kind,
            id=record_id,
            version=(old.version + 1) if old else 1,
            data=json.loads(json.dumps(data, default=str)),
            created_at=old.created_at if old else now,
            updated_at=now,
        )
        keys = [self._k("rec", kind), self._k("rec-version", kind), self._k("rec-updated", kind)]
        args: list[Arg] = [record_id, old.version if old else 0, record.model_dump_json(), now.timestamp()]
        return int(await self._run("RECORD_WRITE", keys, args)) == 1

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        bodies = await self._newest(self._k("rec-updated", kind), self._k("rec", kind), limit)
        return [Record.model_validate_json(b) for b in bodies]

    async def count_records(self, kind: str) -> int:
        return int(await self._redis.hlen(self._k("rec", kind)))


def _outbox_args(item: OutboxItem) -> list[Arg]:
    status_index = OUTBOX_STATUSES.index(item.status) + 1
    pending = int(item.status == "pending")
    return [
        item.idempotency_key,
        item.model_dump_json(),
        status_index,
        pending,
        item.next_attempt_at.timestamp(),
    ]
