"""The intake queue of `RedisStore`: a Redis Stream read by the consumer group `workers`.

Why a stream: claims, redelivery after the visibility timeout and ack map onto XREADGROUP,
XAUTOCLAIM and XACK, so a worker that dies holding messages loses nothing. Each operation is
one Lua script (`redis_scripts`), so the stream, the attempt counts and the dead letters
never disagree.

Attempts count every hand-out (own pending re-read, reclaim, new), as in the SQLite store.
They live in a hash keyed by message key, not in the stream's delivery counter, because
`release` must give one back and a retried message re-added to the stream must keep its
count. Each hand-out gets a fresh delivery id (`<entry id>#<claim seq>`); ack, release and
fail with a superseded delivery id change nothing, as with the SQLite store's tokens.

Ordering: a consumer's own pending entries first (stream order), then entries idle longer
than the visibility timeout, released ones included (stream order, so a released message
keeps its place), then new entries. Retries re-enter at the tail once their backoff is due.

Erasure: each body waits in a hash (`q:bodies`), not in its stream entry, and each author's
waiting keys in a set named by their digest (`q:by_author:<digest>`, no handle in it), so an
erasure rewrites the waiting messages of one person without scanning the stream. A key leaves
its author's set when it is acked; retries and dead letters stay in it, so they are reached too.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from bot.core.digests import author_digest
from bot.core.models import Claim, DeadLetter, InboundMessage
from bot.store import redis_scripts as lua
from bot.store.base import DeadLetterUnloadable, StoreSettings
from bot.store.forget import forgotten
from bot.store.letters import (
    UnloadableMessage,
    dead_letter_cursor,
    dead_letter_position,
    load_message,
    read_dead_letter,
    unloadable_error,
)
from bot.store.records import Page

GROUP = "workers"
RELEASED = "~released"  # holder consumer for released claims (see redis_scripts.RELEASE)
NOT_ACKED = "not acknowledged within the visibility timeout ({timeout:g}s) after {attempts} attempts"
Arg = str | int | float


class RedisIntake:
    """Enqueue, claim, ack, release, fail and dead letters for one namespace."""

    def __init__(self, client: aioredis.Redis, namespace: str, settings: StoreSettings) -> None:
        self._redis = client
        self._ns = namespace
        self.settings = settings
        names = (
            *("intake", "q:attempts", "q:tokens", "q:delayed", "q:parked"),
            *("dead", "dead:by_time", "q:seq", "q:bodies"),
        )
        self._keys = [f"{namespace}:{name}" for name in names]
        self.stream, self._delayed, self._dead, self._dead_by_time = (self._keys[i] for i in (0, 3, 5, 6))
        self._parked, self._bodies = self._keys[4], self._keys[8]
        self._enqueue = client.register_script(lua.ENQUEUE)
        self._claim = client.register_script(lua.CLAIM)
        self._ack = client.register_script(lua.ACK)
        self._release = client.register_script(lua.RELEASE)
        self._fail = client.register_script(lua.FAIL)
        self._requeue = client.register_script(lua.REQUEUE_DEAD)
        self._replace_field = client.register_script(lua.REPLACE_FIELD)

    def _author_set(self, channel: str, handle: str) -> str:
        return f"{self._ns}:q:by_author:{author_digest(channel, handle)}"

    async def ensure_group(self) -> None:
        """Create the stream and its group; from id 0 so nothing added before is skipped."""
        try:
            await self._redis.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        if not messages:
            return []
        keys = [self.stream, self._bodies]
        args: list[Arg] = [int(self.settings.dedupe_window_s * 1000)]
        for message in messages:
            author = self._author_set(message.channel, message.author.handle)
            keys += [f"{self._ns}:msg:{message.key}", author]
            args += [message.key, message.model_dump_json()]
        flags: list[Any] = await self._enqueue(keys=keys, args=args)
        return [bool(flag) for flag in flags]

    async def claim(self, consumer: str, count: int) -> list[Claim]:
        if count <= 0:
            return []
        timeout, max_attempts = self.settings.visibility_timeout_s, self.settings.max_attempts
        error = NOT_ACKED.format(timeout=timeout, attempts=max_attempts)
        args: list[Arg] = [GROUP, consumer, count, int(timeout * 1000), max_attempts, error]
        rows: list[Any] = await self._claim(keys=self._keys, args=args)
        claims: list[Claim] = []
        for token, body, n, key in rows:
            try:
                message = load_message(body)
            except UnloadableMessage as exc:
                # The claim script already counted the attempt; hand it back as a failure so
                # it is retried after the backoff and dead-lettered after the last attempt.
                await self._fail_raw(str(key), str(token), int(n), unloadable_error(exc.reason), str(body))
                continue
            claims.append(Claim(message=message, delivery_id=str(token), attempts=int(n)))
        return claims

    async def _fail_raw(self, key: str, token: str, attempts: int, error: str, body: str) -> bool:
        backoff_ms = int(self.settings.retry_backoff_s * 2 ** (attempts - 1) * 1000)
        args: list[Arg] = [GROUP, key, token.split("#", 1)[0], token, error[:2000]]
        args += [self.settings.max_attempts, backoff_ms, body]
        return int(await self._fail(keys=self._keys, args=args)) == 1

    async def ack(self, claims: Sequence[Claim]) -> None:
        if claims:
            # A claim scrubbed by an erasure meanwhile names the erased handle's set, which does
            # not hold its key: a no-op, and the erasure already deleted the author's own set.
            authors = [self._author_set(c.message.channel, c.message.author.handle) for c in claims]
            await self._ack(keys=[*self._keys, *authors], args=[GROUP, *_claim_args(claims)])

    async def release(self, claims: Sequence[Claim]) -> None:
        if claims:
            await self._release(keys=self._keys, args=[GROUP, RELEASED, *_claim_args(claims)])

    async def fail(self, claim: Claim, error: str) -> bool:
        body = claim.message.model_dump_json()
        return await self._fail_raw(claim.message.key, claim.delivery_id, claim.attempts, error, body)

    async def queue_depth(self) -> int:
        """Entries on the stream (claimed or not) plus retries waiting for their backoff."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xlen(self.stream)
            pipe.zcard(self._delayed)
            streamed, delayed = await pipe.execute()
        return int(streamed) + int(delayed)

    async def oldest_waiting(self) -> float | None:
        """The oldest of: the first entry never delivered to the group, the first retry due,
        and the first claim idle past the visibility timeout (released ones excluded)."""
        now = time.time()
        visibility_ms = int(self.settings.visibility_timeout_s * 1000)
        since: list[float] = []
        try:
            groups = await self._redis.xinfo_groups(self.stream)
        except ResponseError:  # no stream yet: nothing waits
            return None
        last = next((g["last-delivered-id"] for g in groups if g["name"] == GROUP), "0-0")
        fresh = await self._redis.xrange(self.stream, min=f"({last}", count=1)
        if fresh:
            since.append(int(str(fresh[0][0]).split("-", 1)[0]) / 1000)
        due = await self._redis.zrangebyscore(
            self._delayed, "-inf", now * 1000, start=0, num=1, withscores=True
        )
        if due:
            since.append(float(due[0][1]) / 1000)
        pending = await self._redis.xpending_range(
            self.stream, GROUP, min="-", max="+", count=10, idle=visibility_ms
        )
        for entry in pending:
            if entry["consumer"] != RELEASED:
                since.append(now - (int(entry["time_since_delivered"]) - visibility_ms) / 1000)
                break
        return min(since) if since else None

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        keys = as_strs(await self._redis.zrevrange(self._dead_by_time, 0, limit - 1))
        return await self._letters(keys)

    async def _letters(self, keys: list[str]) -> list[DeadLetter]:
        if not keys:
            return []
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hmget(self._dead, keys)
            pipe.hmget(self._parked, keys)
            letters, bodies = await pipe.execute()
        return [
            read_dead_letter(key, _text(letter), None if body is None else _text(body))
            for key, letter, body in zip(keys, letters, bodies, strict=True)
            if letter is not None
        ]

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        """Keyset over the `dead_by_time` zset: (score, key) both descending, as ZREVRANGE orders
        ties, so a letter added or re-queued meanwhile never shifts another onto a second page."""
        after = dead_letter_position(cursor)
        top = math.inf if after is None else after[0]
        found: list[tuple[str, float]] = []
        offset = 0
        while len(found) <= limit:
            chunk: list[Any] = await self._redis.zrevrangebyscore(
                self._dead_by_time, top, "-inf", start=offset, num=limit + 1, withscores=True
            )
            if not chunk:
                break
            offset += len(chunk)
            found += [
                (_text(member), float(score))
                for member, score in chunk
                if after is None or score < top or _text(member) < after[1]
            ]
        page = found[:limit]
        letters = await self._letters([key for key, _ in page])
        more = len(found) > limit
        return Page(letters, dead_letter_cursor(page[-1][1], page[-1][0]) if more else None)

    async def count_dead_letters(self) -> int:
        return int(await self._redis.zcard(self._dead_by_time))

    async def requeue_dead_letter(self, message_key: str) -> bool:
        body = await self._redis.hget(self._parked, message_key)
        if body is not None and await self._redis.hexists(self._dead, message_key):
            try:
                load_message(body)
            except UnloadableMessage as exc:
                raise DeadLetterUnloadable(f"the stored message {message_key} cannot be loaded") from exc
        return int(await self._requeue(keys=self._keys, args=[message_key])) == 1

    async def forget_messages(self, message_keys: Sequence[str], placeholder: str) -> int:
        """The dedupe copy (its expiry kept), the waiting body and the parked body of each key
        (a dead letter here holds only metadata)."""
        changed = 0
        for key in message_keys:
            copy = f"{self._ns}:msg:{key}"
            body = await self._redis.get(copy)
            if body is not None:
                await self._redis.set(copy, forgotten(body, placeholder), keepttl=True, xx=True)
                changed += 1
            for hash_key in (self._bodies, self._parked):
                changed += await self._forget_field(hash_key, key, placeholder)
        return changed

    async def _forget_field(self, hash_key: str, key: str, placeholder: str) -> int:
        body = await self._redis.hget(hash_key, key)
        if body is None:
            return 0
        args = [key, body, forgotten(body, placeholder)]
        return int(await self._replace_field(keys=[hash_key], args=args))

    async def forget_queued(self, channel: str, handle: str, placeholder: str) -> int:
        """Rewrite the messages of one author still in the intake (waiting, retrying or dead),
        then drop them from their set, which would otherwise outlive the person it names; a
        message arriving meanwhile stays in it, for the next erasure to find."""
        author = self._author_set(channel, handle)
        keys = sorted(as_strs(await self._redis.smembers(author)))
        changed = await self.forget_messages(keys, placeholder)
        if keys:
            await self._redis.srem(author, *keys)
        return changed

    async def get_message(self, message_key: str) -> InboundMessage | None:
        body = await self._redis.get(f"{self._ns}:msg:{message_key}")
        return None if body is None else load_message(body)


def _claim_args(claims: Sequence[Claim]) -> list[Arg]:
    args: list[Arg] = []
    for claim in claims:
        args += [claim.message.key, claim.delivery_id.split("#", 1)[0], claim.delivery_id]
    return args


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def as_strs(values: Iterable[Any]) -> list[str]:
    """Replies as text; the client decodes responses, so bytes only appear if misconfigured."""
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


async def hash_values(client: aioredis.Redis, hash_key: str, fields: Sequence[str]) -> list[str]:
    """HMGET in the given order, skipping fields deleted since the index was read."""
    if not fields:
        return []
    return as_strs(v for v in await client.hmget(hash_key, list(fields)) if v is not None)
