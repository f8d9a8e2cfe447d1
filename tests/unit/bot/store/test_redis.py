"""What only the Redis store has: connection failures, namespaces, persistence settings, and
the queue choices made on top of streams (attempt counting, release order, stale claims)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from bot.store.base import StoreSettings, StoreUnavailable
from bot.store.redis import RedisStore
from bot.store.redis_connect import connect, describe_persistence, persistence_warning, redact_url
from tests.conftest import TEST_REDIS_URL, eventually, make_message, redis_reachable, test_namespace

pytestmark = pytest.mark.redis

FAST = StoreSettings(visibility_timeout_s=0.3, max_attempts=3, retry_backoff_s=0.05)


async def _open(namespace: str | None = None, settings: StoreSettings = FAST) -> RedisStore:
    await redis_reachable()
    store = RedisStore(TEST_REDIS_URL, namespace=namespace or test_namespace(), settings=settings)
    await store.open()
    return store


@pytest.fixture
async def store() -> AsyncIterator[RedisStore]:
    opened = await _open()
    try:
        yield opened
    finally:
        await opened.clear()
        await opened.close()


async def _keys(namespace: str) -> list[str]:
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        return [key async for key in client.scan_iter(match=f"{namespace}:*")]
    finally:
        await client.aclose()


# --- start-up ---------------------------------------------------------------------------
async def test_unreachable_redis_stops_start_up_without_leaking_the_password() -> None:
    store = RedisStore("redis://:s3cret@127.0.0.1:1/0", namespace="never")
    with pytest.raises(StoreUnavailable) as raised:
        await store.open()
    message = str(raised.value)
    assert "cannot reach Redis at redis://:***@127.0.0.1:1/0" in message
    assert "s3cret" not in message
    assert not await store.ping()


async def test_bad_url_is_a_readable_start_up_error() -> None:
    with pytest.raises(StoreUnavailable, match="invalid Redis URL http://cache:6379"):
        await RedisStore("http://cache:6379", namespace="never").open()


def test_redact_url_hides_only_the_password() -> None:
    assert (
        redact_url("rediss://bot:pa%40ss@cache.internal:6380/2") == "rediss://bot:***@cache.internal:6380/2"
    )
    assert redact_url("redis://[::1]:6379/0") == "redis://[::1]:6379/0"
    assert redact_url("unix:///run/redis.sock?db=1") == "unix:///run/redis.sock?db=1"


async def test_ping_is_false_once_closed(store: RedisStore) -> None:
    assert await store.ping()
    await store.close()
    assert not await store.ping()
    await store.open()  # the fixture's clear() needs it open again


# --- persistence settings -----------------------------------------------------------------
def test_describe_persistence_says_what_a_crash_would_lose() -> None:
    assert describe_persistence("yes", "always") is None
    everysec = describe_persistence("yes", "everysec")
    assert everysec is not None and "1 s" in everysec
    no_aof = describe_persistence("no", "always")
    assert no_aof is not None and "RDB snapshot" in no_aof


async def test_open_warns_when_the_server_can_lose_accepted_messages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    await redis_reachable()
    client = await connect(TEST_REDIS_URL, connect_timeout_s=2)
    try:
        config = await client.config_get("append*")
    finally:
        await client.aclose()
    expected = describe_persistence(config.get("appendonly"), config.get("appendfsync"))

    with caplog.at_level(logging.INFO, logger="bot.store.redis"):
        store = await _open()
    await store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ([] if expected is None else [expected])


COMMANDS_SEEN: list[bytes] = []


async def _fake_managed_redis(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Speaks just enough RESP: PING answers, CONFIG is refused as on managed services."""
    try:
        while line := await reader.readline():
            if not line.startswith(b"*"):
                continue
            args = []
            for _ in range(int(line[1:])):
                size = int((await reader.readline())[1:])
                args.append((await reader.readexactly(size + 2))[:-2].upper())
            COMMANDS_SEEN.append(args[0])
            if args[0] == b"PING":
                writer.write(b"+PONG\r\n")
            elif args[0] == b"HELLO":  # a server or proxy that speaks RESP2 only
                writer.write(b"-ERR unknown command 'HELLO'\r\n")
            elif args[0] == b"CONFIG":
                writer.write(b"-ERR unknown command 'CONFIG', with args beginning with: 'GET'\r\n")
            else:
                writer.write(b"+OK\r\n")
            await writer.drain()
    finally:
        writer.close()


async def test_refused_config_is_reported_at_info_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    server = await asyncio.start_server(_fake_managed_redis, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = await connect(f"redis://127.0.0.1:{port}/0", connect_timeout_s=2)
        with caplog.at_level(logging.INFO, logger="bot.store.redis_connect"):
            assert await persistence_warning(client) is None
        await client.aclose()
    finally:
        server.close()
        await server.wait_closed()
    assert any(r.levelno == logging.INFO and "persistence" in r.getMessage() for r in caplog.records)


async def test_the_client_speaks_resp2_whatever_the_library_default() -> None:
    """redis-py 8.2 opens with HELLO 3 by default; the store asks for RESP2, so no handshake is
    sent that a RESP2-only server or proxy would refuse, and reply shapes stay the same."""
    COMMANDS_SEEN.clear()
    server = await asyncio.start_server(_fake_managed_redis, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        client = await connect(f"redis://127.0.0.1:{port}/0", connect_timeout_s=2)
        await client.aclose()
    finally:
        server.close()
        await server.wait_closed()
    assert b"PING" in COMMANDS_SEEN
    assert b"HELLO" not in COMMANDS_SEEN


# --- namespaces -----------------------------------------------------------------------------
async def test_namespaces_do_not_see_each_other_and_clear_only_its_own() -> None:
    base = f"test-{uuid.uuid4().hex[:8]}"
    # A namespace with glob characters must not clear its look-alike sibling.
    first, second = await _open(f"{base}-[a]*"), await _open(f"{base}-a")
    try:
        await first.enqueue([make_message("m")])
        await first.set_flag("kill_switch", "on")
        assert await second.enqueue([make_message("m")]) == [True]
        assert await second.get_flag("kill_switch") is None
        assert [c.message.id for c in await second.claim("w", 5)] == ["m"]
        assert await first.queue_depth() == 1

        await first.clear()
        assert await _keys(f"{base}-\\[a\\]\\*") == []
        assert await second.queue_depth() == 1
        assert await first.enqueue([make_message("m")]) == [True]
        assert len(await first.claim("w", 5)) == 1  # the group is re-created on demand
    finally:
        for opened in (first, second):
            await opened.clear()
            await opened.close()


async def test_records_are_not_kept_in_redis(store: RedisStore) -> None:
    """Since the split Redis holds the hot path only; records live in SQL (issue 9)."""
    assert not hasattr(store, "put_record") and not hasattr(store, "save_decisions")


async def test_every_key_lives_under_the_namespace(store: RedisStore) -> None:
    await store.enqueue([make_message("a"), make_message("b")])
    claims = await store.claim("w", 2)
    await store.fail(claims[0], "boom")
    await store.ack(claims[1:])
    await store.set_flag("f", "1")
    await store.acquire_lease("leader", "me", 30)
    keys = await _keys(store.namespace)
    assert keys and all(key.startswith(f"{store.namespace}:") for key in keys)
    await store.clear()
    assert await _keys(store.namespace) == []


# --- queue semantics chosen on top of streams -------------------------------------------------
async def test_every_hand_out_counts_an_attempt_including_own_pending(store: RedisStore) -> None:
    await store.enqueue([make_message("a")])
    assert [c.attempts for c in await store.claim("w1", 1)] == [1]
    assert [c.attempts for c in await store.claim("w1", 1)] == [2]  # restarted worker re-reads it


async def test_concurrent_consumers_never_share_a_message() -> None:
    # Distinct names: a name that claims again is a restarted worker and gets its own back. The
    # visibility timeout is long here: with the suite's 0.3 s, a loaded machine takes longer than
    # that for 40 claims and the late ones rightly redeliver the early ones' messages.
    store = await _open(settings=StoreSettings(visibility_timeout_s=60, max_attempts=3))
    try:
        await store.enqueue([make_message(f"m{i}") for i in range(200)])
        batches = await asyncio.gather(*(store.claim(f"w{i}", 7) for i in range(40)))
        keys = [c.message.key for batch in batches for c in batch]
        assert len(keys) == len(set(keys)) == 200
    finally:
        await store.clear()
        await store.close()


async def test_released_message_keeps_its_place_ahead_of_newer_ones(store: RedisStore) -> None:
    await store.enqueue([make_message("a"), make_message("b"), make_message("c")])
    await store.release(await store.claim("w1", 1))
    again = await store.claim("w2", 3)
    assert [(c.message.id, c.attempts) for c in again] == [("a", 1), ("b", 1), ("c", 1)]


async def test_superseded_claim_cannot_ack_or_fail_the_new_delivery(store: RedisStore) -> None:
    await store.enqueue([make_message("a")])
    stale = (await store.claim("slow", 1))[0]
    fresh = (await eventually(lambda: store.claim("w2", 1), timeout=5))[0]
    await store.ack([stale])
    assert not await store.fail(stale, "late")
    assert await store.queue_depth() == 1
    await store.ack([fresh])
    assert await store.queue_depth() == 0


async def test_retry_waits_for_backoff_and_counts_in_depth() -> None:
    store = await _open(settings=StoreSettings(visibility_timeout_s=0.3, max_attempts=3, retry_backoff_s=60))
    try:
        await store.enqueue([make_message("a")])
        claim = (await store.claim("w", 1))[0]
        assert not await store.fail(claim, "boom")
        assert await store.queue_depth() == 1
        assert await store.claim("w", 1) == []  # the 60 s backoff is not due yet
    finally:
        await store.clear()
        await store.close()


async def test_dead_letter_keeps_the_message_byte_exact(store: RedisStore) -> None:
    raw = {"id": 1790000000000000001, "note": 'quote " slash / \\ ñ 🚀'}
    await store.enqueue([make_message("big", raw=raw)])
    for _ in range(3):
        claims = await eventually(lambda: store.claim("w", 1), timeout=5)
        dead = await store.fail(claims[0], 'error with "quotes" and ñ')
    assert dead
    letter = (await store.dead_letters())[0]
    assert (
        letter.message is not None
        and letter.message.raw == raw
        and letter.error == 'error with "quotes" and ñ'
    )
    assert await store.requeue_dead_letter("twitter:big")
    claim = (await store.claim("w", 1))[0]
    assert claim.message.raw == raw and claim.attempts == 1


async def test_an_entry_written_by_the_previous_release_with_its_body_inline_is_still_claimed(
    store: RedisStore,
) -> None:
    """Before bodies moved to `q:bodies`, each stream entry carried its body as field 'b'."""
    old = make_message("old1", "escrito antes de la actualización")
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        await client.xadd(f"{store.namespace}:intake", {"k": old.key, "b": old.model_dump_json()})
        [claim] = await eventually(lambda: store.claim("w1", 1), timeout=20)
        assert claim.message == old and claim.attempts == 1
        await store.ack([claim])
        assert await client.xlen(f"{store.namespace}:intake") == 0
    finally:
        await client.aclose()
    assert await store.dead_letters() == []


async def test_a_waiting_body_lives_in_the_bodies_hash_not_in_the_stream_entry(store: RedisStore) -> None:
    await store.enqueue([make_message("n1", "Soy Ana, contrato CT-778899")])
    client = aioredis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    try:
        entries = await client.xrange(f"{store.namespace}:intake") or []
        assert [fields for _, fields in entries] == [{"k": "twitter:n1"}]
        assert "CT-778899" in (await client.hget(f"{store.namespace}:q:bodies", "twitter:n1") or "")
        [claim] = await eventually(lambda: store.claim("w1", 1), timeout=20)
        await store.ack([claim])
        assert await client.hlen(f"{store.namespace}:q:bodies") == 0
        assert not [k async for k in client.scan_iter(match=f"{store.namespace}:q:by_author:*")]
    finally:
        await client.aclose()
