"""Redis store: shared state for several workers or replicas, on one Redis 7.

Why this shape: every key lives under `{namespace}:`, so tests and replays share a server
without seeing each other, and `clear()` removes exactly one namespace. The intake queue is
a Redis Stream (`redis_intake`); everything that must change together runs as one Lua
script (`redis_scripts`). This is the hot path only (intake, claims, dead letters, guard
reservations and counters, flags, leader leases): records are not kept in Redis.

Durability: `enqueue` returns once Redis has answered, which is "on disk" only with
`appendonly yes` + `appendfsync always` (Redis fsyncs the AOF before it replies). With
`everysec` a crash loses up to about a second of accepted messages; without AOF, everything
since the last RDB snapshot. `open()` checks and warns; we do not call WAIT, because replicas
acknowledging a write is not what makes a single node durable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from bot.core.models import (
    Claim,
    DeadLetter,
    InboundMessage,
)
from bot.store import redis_scripts as lua
from bot.store.base import StoreSettings, StoreUnavailable
from bot.store.records import Page
from bot.store.redis_connect import connect, persistence_warning, redact_url, unlink_matching
from bot.store.redis_intake import RedisIntake, as_strs, hash_values

log = logging.getLogger(__name__)

EXPIRY_MARGIN_S = 3600  # wall-clock slack on caller-clock expiries, for slow replays
Arg = str | int | float


class RedisStore:
    """`HotPathStore` on Redis (see the module docstring for layout and durability); records
    live in SQL (`bot/store/sql/`), not here."""

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
        for name in ("RESERVE", "LEASE_ACQUIRE", "LEASE_RENEW", "LEASE_RELEASE"):
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

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        return await self._intake.dead_letter_page(cursor=cursor, limit=limit)

    async def count_dead_letters(self) -> int:
        return await self._intake.count_dead_letters()

    async def requeue_dead_letter(self, message_key: str) -> bool:
        return await self._intake.requeue_dead_letter(message_key)

    async def get_message(self, message_key: str) -> InboundMessage | None:
        return await self._intake.get_message(message_key)

    async def forget_messages(self, message_keys: Sequence[str], placeholder: str) -> int:
        return await self._intake.forget_messages(message_keys, placeholder)

    async def forget_queued(self, channel: str, handle: str, placeholder: str) -> int:
        return await self._intake.forget_queued(channel, handle, placeholder)

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

    async def reserve_and_count(
        self, key: str, *, now: datetime, until: datetime, owner: str | None, counter: str, window_s: float
    ) -> int | None:
        if not await self.reserve(key, now=now, until=until, owner=owner):
            return None
        return await self.incr_window(counter, now=now, window_s=window_s)

    async def get_flag(self, name: str) -> str | None:
        value = await self._redis.hget(self._k("flags"), name)
        return None if value is None else str(value)

    async def set_flag(self, name: str, value: str | None) -> None:
        if value is None:
            await self._redis.hdel(self._k("flags"), name)
        else:
            await self._redis.hset(self._k("flags"), name, value)

    # --- leader leases (wall clock, Redis's own expiry) ----------------------------------
    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        args_: list[Arg] = [owner, max(1, int(ttl_s * 1000))]
        keys = [self._k("lease", name)]
        return int(await self._run("LEASE_ACQUIRE", keys, args_)) == 1

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        args_: list[Arg] = [owner, max(1, int(ttl_s * 1000))]
        keys = [self._k("lease", name)]
        return int(await self._run("LEASE_RENEW", keys, args_)) == 1

    async def release_lease(self, name: str, owner: str) -> bool:
        return int(await self._run("LEASE_RELEASE", [self._k("lease", name)], [owner])) == 1

    async def lease_holder(self, name: str) -> str | None:
        value = await self._redis.get(self._k("lease", name))
        return None if value is None else str(value)
