"""A stored message that cannot be loaded never stalls the queue (issue 11, finding 1).

Such a row could be written by an older version (intake now refuses it) or by any adapter: an
unknown field nested ~230 levels serialises fine but pydantic's JSON parser refuses it when the
claim loads it. Before, the claim raised inside its transaction on SQLite, the rollback undid the
attempt count, and every message behind it waited for ever; on Redis it reached the dead letters
but then listing them raised. Both stores, same contract.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.models import Claim, DeadLetter
from bot.store.base import DeadLetterUnloadable, Store
from tests.conftest import eventually, make_message


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


POISON = make_message("poison", raw={"deep": nested(230)})


async def test_poison_row_does_not_block_the_messages_behind_it(store: Store) -> None:
    await store.enqueue([POISON, *(make_message(f"ok{i}") for i in range(3))])
    claims = await store.claim("w1", 10)
    assert sorted(c.message.id for c in claims) == ["ok0", "ok1", "ok2"]
    await store.ack(claims)


async def test_poison_row_counts_attempts_and_reaches_the_dead_letters(store: Store) -> None:
    await store.enqueue([POISON])

    async def dead() -> list[DeadLetter]:
        claimed: list[Claim] = await store.claim("w1", 10)
        assert claimed == []  # never handed out, whatever the attempt
        return await store.dead_letters()

    letters = await eventually(dead, timeout=15)
    assert [(d.key, d.message, d.attempts) for d in letters] == [("twitter:poison", None, 3)]
    assert letters[0].unreadable and "cannot be loaded" in letters[0].error
    assert await store.queue_depth() == 0
    # Later messages flow as usual.
    await store.enqueue([make_message("after")])
    assert [c.message.id for c in await store.claim("w1", 10)] == ["after"]


async def test_unloadable_dead_letter_is_not_requeued_into_a_cycle(store: Store) -> None:
    await store.enqueue([POISON])
    await eventually(lambda: _claim_then_letters(store), timeout=15)
    with pytest.raises(DeadLetterUnloadable):
        await store.requeue_dead_letter("twitter:poison")
    assert await store.queue_depth() == 0
    assert [d.key for d in await store.dead_letters()] == ["twitter:poison"]


async def test_dead_letters_carry_their_key(store: Store) -> None:
    await store.enqueue([make_message("bad")])
    for _ in range(3):
        claims = await eventually(lambda: store.claim("w1", 1), timeout=20)
        await store.fail(claims[0], "boom")
    letters = await store.dead_letters()
    assert [(d.key, d.message is not None and d.message.id, d.unreadable) for d in letters] == [
        ("twitter:bad", "bad", None)
    ]


async def _claim_then_letters(store: Store) -> list[DeadLetter]:
    await store.claim("w1", 10)
    return await store.dead_letters()


async def test_oldest_waiting_tracks_the_oldest_claimable_message(store: Store) -> None:
    import time

    assert await store.oldest_waiting() is None
    before = time.time()
    await store.enqueue([make_message("w1"), make_message("w2")])
    since = await store.oldest_waiting()
    assert since is not None and before - 1 <= since <= time.time() + 1
    claims = await store.claim("c1", 10)
    assert await store.oldest_waiting() is None  # all claimed, within the visibility timeout
    await eventually(store.oldest_waiting, timeout=5)  # the claims expire: claimable again
    await store.ack(claims)
    assert await store.oldest_waiting() is None
