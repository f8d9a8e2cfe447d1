"""Connecting `RedisStore` to Redis and checking the server can keep what it is given.

Why separate: start-up failures must be loud and readable (the URL, never its password),
and a Redis that would lose accepted messages on a crash deserves a warning at start-up,
not a surprise after an outage.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.store.base import StoreUnavailable

log = logging.getLogger(__name__)


async def connect(url: str, *, connect_timeout_s: float) -> aioredis.Redis:
    """A client that has answered PING, or `StoreUnavailable` saying where and why."""
    where = redact_url(url)
    try:
        client = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            # RESP2, said explicitly: the store's scripts and reply handling are written for its
            # reply shapes, and redis-py 8.2 made RESP3 (a HELLO 3 handshake) its default, which
            # some managed services and proxies refuse. One protocol whatever the client version.
            protocol=2,
            socket_connect_timeout=connect_timeout_s,
            socket_timeout=max(connect_timeout_s, 10.0),
            # After a Redis restart every pooled connection is dead: without retries the first
            # command on each failed ("Connection closed by server") although the server was
            # back. Two quick retries reconnect; a server still down fails within ~0.2 s and
            # the request gets its 503 (bot.web.errors). A replayed script is harmless (enqueue
            # dedupes, outbox writes are idempotent) or at worst counts one extra claim attempt.
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            retry_on_error=[RedisConnectionError, RedisTimeoutError],
        )
    except ValueError as exc:
        raise StoreUnavailable(f"invalid Redis URL {where}: {exc}") from exc
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        raise StoreUnavailable(f"cannot reach Redis at {where}: {exc}") from exc
    return client


async def persistence_warning(client: aioredis.Redis) -> str | None:
    """Why accepted messages could be lost on a crash, or None when AOF fsyncs every write.

    CONFIG is often disabled or renamed on managed Redis; then we cannot tell, say so at
    INFO level and return None rather than refuse to start.
    """
    try:
        config = await client.config_get("append*")
    except ResponseError as exc:
        log.info("cannot read Redis persistence settings (%s); make sure AOF is on with fsync always", exc)
        return None
    return describe_persistence(config.get("appendonly"), config.get("appendfsync"))


def describe_persistence(appendonly: str | None, appendfsync: str | None) -> str | None:
    """What a crash would lose under these settings; None when every write is fsynced."""
    if appendonly != "yes":
        return (
            "Redis runs without AOF (appendonly=no): a crash loses every message accepted since "
            "the last RDB snapshot; the service expects appendonly yes and appendfsync always"
        )
    if appendfsync != "always":
        return (
            f"Redis AOF has appendfsync={appendfsync}: a crash can lose up to about 1 s of "
            "accepted messages; the service expects appendfsync always"
        )
    return None


async def unlink_matching(client: aioredis.Redis, prefix: str) -> int:
    """UNLINK every key starting with `prefix` (SCAN, so the server never blocks on KEYS)."""
    pattern = "".join("\\" + ch if ch in "*?[]\\" else ch for ch in prefix) + "*"
    removed = 0
    batch: list[str] = []
    async for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            removed += await client.unlink(*batch)
            batch.clear()
    if batch:
        removed += await client.unlink(*batch)
    return removed


def redact_url(url: str) -> str:
    """The URL as safe to log and show: a password, if any, becomes ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
