"""A reply is never lost between the thread guard's reservation and the outbox write.

Issue 11, finding 3: the reservation was written, then the crash (or a store error) came before
the outbox item; the redelivered message found the thread reserved and suppressed its own
reply, so the customer never heard back. The reservation now names its owner (the message key)
and a redelivery of the same message recognises it. Both stores.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import GuardSettings
from bot.core.context import MessageContext
from bot.core.effects import Reply
from bot.core.models import Decision, OutboxItem
from bot.engine.effects import EffectApplier, reply_key
from bot.pipeline.guards import ReplyGuard
from bot.pipeline.pipeline import Outcome
from bot.store.base import Store
from tests.conftest import make_message

NOW = datetime(2026, 5, 21, 10, tzinfo=UTC)


class OutboxWriteFails:
    """The real store, except that the next outbox write fails (crash or Redis error there)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.fail_next = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def add_outbox(self, items: list[OutboxItem]) -> list[bool]:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("connection lost before the outbox write")
        return await self._store.add_outbox(items)


def outcome(msg_id: str, *, in_reply_to: str | None = None, minutes: int = 0) -> Outcome:
    now = NOW + timedelta(minutes=minutes)
    message = make_message(msg_id, created_at=now, handle=f"@{msg_id}", in_reply_to=in_reply_to)
    ctx = MessageContext(message=message, now=now)
    decision = Decision(message_key=message.key, action="answer", reason="r", rule="x")
    return Outcome(ctx, decision, [Reply(account="robot", text="Respuesta automática: reinicia el router")])


async def test_redelivered_message_recognises_its_own_reservation(store: Store) -> None:
    flaky = OutboxWriteFails(store)
    applier = EffectApplier(flaky, ReplyGuard(flaky, GuardSettings()))  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await applier.apply(outcome("m1"))
    assert await store.get_outbox(reply_key("twitter:m1", "robot", "reply")) is None

    decision = await applier.apply(outcome("m1"))  # the redelivery
    assert decision.suppressed is None
    assert await store.get_outbox(reply_key("twitter:m1", "robot", "reply")) is not None


async def test_another_message_in_the_thread_is_still_held(store: Store) -> None:
    applier = EffectApplier(store, ReplyGuard(store, GuardSettings(thread_reply_interval_s=3600)))
    assert (await applier.apply(outcome("root"))).suppressed is None
    follow_up = await applier.apply(outcome("r1", in_reply_to="root", minutes=5))
    assert follow_up.suppressed is not None and "thread" in follow_up.suppressed


async def test_reservation_owner_is_free_for_the_owner_only(store: Store) -> None:
    until = NOW + timedelta(hours=1)
    assert await store.reserve("thread:x", now=NOW, until=until, owner="twitter:a")
    assert await store.reserve("thread:x", now=NOW, until=until, owner="twitter:a")
    assert not await store.reserve("thread:x", now=NOW, until=until, owner="twitter:b")
    assert not await store.reserve("thread:x", now=NOW, until=until)
    assert await store.reserve(
        "thread:x", now=until + timedelta(seconds=1), until=until + timedelta(hours=1), owner="twitter:b"
    )
