"""Guards against embarrassment, on a real store and the message's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import GuardSettings
from bot.core.context import AuthorProfile, MessageContext
from bot.pipeline.guards import ReplyGuard, kill_switch_on, set_kill_switch
from bot.store.base import Store
from bot.store.redis import RedisStore
from bot.store.split import SplitStore
from tests.conftest import make_message, open_store

T0 = datetime(2026, 5, 20, 10, tzinfo=UTC)


def ctx(msg_id: str = "m1", *, now: datetime = T0, handle: str = "@ana", **extra: Any) -> MessageContext:
    message = make_message(msg_id, handle=handle, created_at=now - timedelta(minutes=1), **extra)
    return MessageContext(message=message, now=now)


async def test_own_accounts_bots_and_echoes_never_get_automatic_replies(store: Store) -> None:
    guard = ReplyGuard(store, GuardSettings())
    own = ctx()
    own.author = AuthorProfile(own_account=True)
    assert "own accounts" in (await guard.blocked(own) or "")
    bot = ctx("m2")
    bot.author = AuthorProfile(bot=True)
    assert "bot" in (await guard.blocked(bot) or "")
    echo = ctx("m3")
    echo.echo = True
    assert "echoes" in (await guard.blocked(echo) or "")


async def test_backlog_older_than_the_limit_gets_no_automatic_reply(store: Store) -> None:
    guard = ReplyGuard(store, GuardSettings(max_message_age_s=3600))
    old = MessageContext(message=make_message(created_at=T0 - timedelta(hours=5)), now=T0)
    assert "old" in (await guard.blocked(old) or "")


async def test_one_automatic_reply_per_thread_per_interval(store: Store) -> None:
    guard = ReplyGuard(store, GuardSettings(thread_reply_interval_s=3600))
    assert await guard.blocked(ctx("root")) is None
    follow_up = ctx("reply-1", handle="@bea", in_reply_to="root", now=T0 + timedelta(minutes=10))
    assert "thread" in (await guard.blocked(follow_up) or "")
    later = ctx("reply-2", handle="@bea", in_reply_to="root", now=T0 + timedelta(hours=1, minutes=1))
    assert await guard.blocked(later) is None


async def test_per_author_cap(store: Store) -> None:
    guard = ReplyGuard(store, GuardSettings(author_reply_cap=2))
    results = [await guard.blocked(ctx(f"m{i}", now=T0 + timedelta(minutes=i))) for i in range(3)]
    assert results[:2] == [None, None]
    assert "2 automatic replies" in (results[2] or "")


async def test_kill_switch_persists_and_is_audited(store: Store, tmp_path: Path) -> None:
    assert not await kill_switch_on(store)
    await set_kill_switch(store, on=True, actor="U123", reason="bad answers")
    assert await kill_switch_on(store)
    await set_kill_switch(store, on=False, actor="U123")
    assert not await kill_switch_on(store)
    events = await store.list_audit(kind="kill_switch")
    assert [(e.subject, e.actor) for e in events] == [("off", "U123"), ("on", "U123")]


async def test_the_per_author_cap_keeps_no_handle_in_the_hot_path(tmp_path: Path) -> None:
    """The cap's counter is named by a digest: an erased person's handle is not left in Redis."""
    store = await open_store("redis", tmp_path)
    try:
        guard = ReplyGuard(store, GuardSettings(author_reply_cap=1))
        assert await guard.blocked(ctx("m1", handle="@Ana_Lopez")) is None
        assert "1 automatic replies" in (await guard.blocked(ctx("m2", handle="@ana_lopez")) or "")
        assert isinstance(store, SplitStore)
        hot = store.hot
        assert isinstance(hot, RedisStore)
        keys = [str(k) async for k in hot._redis.scan_iter(match=f"{hot.namespace}:*")]
        assert keys, "the guard wrote its counters"
        assert not [k for k in keys if "ana_lopez" in k.casefold()]
    finally:
        await store.clear()
        await store.close()
