"""The hot-path contract: every test here runs against real SQLite and real Redis.

Records (decisions, outbox, audit, versioned records) have their own suite,
`test_record_store_contract.py`, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.digests import author_digest
from bot.core.models import DeadLetter, InboundMessage
from bot.store.base import Store
from bot.store.records import InvalidCursor, encode_cursor
from tests.conftest import eventually, make_message
from tests.records_dump import hot_path_text

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


async def test_enqueue_is_idempotent_on_channel_and_id(store: Store) -> None:
    first = await store.enqueue([make_message("a"), make_message("b")])
    again = await store.enqueue([make_message("a", text="other text"), make_message("a", channel="facebook")])
    assert first == [True, True]
    assert again == [False, True]
    assert await store.queue_depth() == 3


async def test_a_repeat_within_one_enqueue_is_not_new_and_order_is_kept(store: Store) -> None:
    """The intake looks its batch up at once: a message repeated in the same call is still a
    duplicate, the first copy is the one kept, and a batch bigger than one look-up works."""
    first = make_message("a", text="first copy")
    batch = [first, make_message("a", text="second copy"), *(make_message(f"n{i:04d}") for i in range(1200))]
    fresh = await store.enqueue(batch)
    assert fresh == [True, False, *([True] * 1200)]
    assert await store.enqueue([make_message("n0007"), make_message("late")]) == [False, True]
    assert await store.queue_depth() == 1202
    stored = await store.get_message("twitter:a")
    assert stored is not None and stored.text == "first copy"
    claims = await store.claim("w1", 4)
    assert [c.message.key for c in claims] == ["twitter:a", "twitter:n0000", "twitter:n0001", "twitter:n0002"]
    assert len({c.delivery_id for c in claims}) == 4 and all(c.attempts == 1 for c in claims)
    assert [c.message.key for c in await store.claim("w2", 2)] == ["twitter:n0003", "twitter:n0004"]


async def test_duplicates_stay_out_even_after_ack(store: Store) -> None:
    await store.enqueue([make_message("a")])
    claims = await store.claim("w1", 10)
    await store.ack(claims)
    assert await store.enqueue([make_message("a")]) == [False]
    assert await store.queue_depth() == 0
    stored = await store.get_message("twitter:a")
    assert stored is not None and stored.text == "¿cómo reinicio el router?"


async def test_claim_hands_each_message_to_one_consumer(store: Store) -> None:
    await store.enqueue([make_message(str(i)) for i in range(5)])
    first = await store.claim("w1", 3)
    second = await store.claim("w2", 10)
    keys = [c.message.key for c in first + second]
    assert sorted(keys) == sorted(f"twitter:{i}" for i in range(5))
    assert len(set(keys)) == 5
    assert all(c.attempts == 1 for c in first + second)


async def test_claims_keep_enqueue_order(store: Store) -> None:
    await store.enqueue([make_message(f"m{i:02d}") for i in range(12)])
    claims = await store.claim("w1", 12)
    assert [c.message.id for c in claims] == [f"m{i:02d}" for i in range(12)]


async def test_unacked_claim_is_redelivered_after_visibility_timeout(store: Store) -> None:
    await store.enqueue([make_message("a")])
    lost = await store.claim("crashed-worker", 1)
    assert len(lost) == 1
    assert await store.claim("w2", 1) == []

    redelivered = await eventually(lambda: store.claim("w2", 1), timeout=5)
    assert redelivered[0].message.key == "twitter:a"
    assert redelivered[0].attempts == 2


async def test_consumer_drains_its_own_pending_first_after_restart(store: Store) -> None:
    await store.enqueue([make_message("old"), make_message("new")])
    await store.claim("w1", 1)
    # w1 restarts: its own unacked "old" comes back to it before anything else.
    again = await store.claim("w1", 1)
    assert [c.message.id for c in again] == ["old"]


async def test_ack_removes_from_queue(store: Store) -> None:
    await store.enqueue([make_message("a"), make_message("b")])
    claims = await store.claim("w1", 2)
    await store.ack(claims[:1])
    assert await store.queue_depth() == 1


async def test_release_makes_claims_available_immediately(store: Store) -> None:
    await store.enqueue([make_message("a")])
    claims = await store.claim("w1", 1)
    await store.release(claims)
    again = await store.claim("w2", 1)
    assert [c.message.id for c in again] == ["a"]
    assert again[0].attempts == 1


async def test_failed_message_is_retried_then_dead_lettered_and_requeueable(store: Store) -> None:
    await store.enqueue([make_message("bad")])
    dead = False
    for attempt in range(1, 4):
        claims = await eventually(lambda: store.claim("w1", 1), timeout=20)
        assert claims[0].attempts == attempt
        dead = await store.fail(claims[0], f"boom {attempt}")
    assert dead
    assert await store.queue_depth() == 0
    letters = await store.dead_letters()
    assert [(d.message and d.message.id, d.attempts, d.error) for d in letters] == [("bad", 3, "boom 3")]

    assert await store.requeue_dead_letter("twitter:bad")
    assert not await store.requeue_dead_letter("twitter:bad")
    assert await store.dead_letters() == []
    claims = await store.claim("w1", 1)
    assert claims[0].message.id == "bad" and claims[0].attempts == 1


async def _dead_letter(store: Store, ids: list[str]) -> None:
    """Fail each message until the store gives it up (max_attempts=3 in the fixture)."""
    await store.enqueue([make_message(i) for i in ids])
    waiting = set(ids)
    while waiting:
        claims = await eventually(lambda: store.claim("w1", len(waiting)), timeout=20)
        for claim in claims:
            if await store.fail(claim, "boom"):
                waiting.discard(claim.message.id)


async def test_forgotten_messages_lose_text_and_author_in_the_intake_and_the_dead_letters(
    store: Store,
) -> None:
    await _dead_letter(store, ["poison"])
    kept = make_message("kept", "Soy Bea, contrato CT-111222", handle="@bea")
    erased = make_message("ok", "Soy Ana, contrato CT-778899", handle="@ana_p")
    await store.enqueue([kept, erased])
    for claims in [await eventually(lambda: store.claim("w1", 2), timeout=20)]:
        await store.ack(claims)
    changed = await store.hot.forget_messages(["twitter:poison", "twitter:ok", "twitter:absent"], "[erased]")
    assert changed >= 2
    for key in ("twitter:poison", "twitter:ok"):
        gone = await store.get_message(key)
        assert gone is not None and gone.text == "[erased]" and gone.author.handle == "[erased]"
    [letter] = await store.dead_letters()
    assert letter.message is not None and letter.message.text == "[erased]"
    still = await store.get_message("twitter:kept")
    assert still is not None and still.text == kept.text and still.author.handle == "@bea"
    assert await store.requeue_dead_letter("twitter:poison")  # a blanked letter still loads


async def test_an_authors_queued_messages_are_forgotten_before_any_worker_takes_them(store: Store) -> None:
    """A message not yet processed belongs to no case: the erasure finds it by its author."""
    await store.enqueue([make_message("d1", "Soy Ana, mi teléfono 600111222", handle="@ana_p")])
    while not await store.dead_letters():
        for claim in await eventually(lambda: store.claim("w1", 1), timeout=20):
            await store.fail(claim, "boom")
    retried = make_message("r1", "Soy Ana, contrato CT-778899", handle="@Ana_P")
    await store.enqueue([retried])
    [claim] = await eventually(lambda: store.claim("w1", 1), timeout=20)
    assert not await store.fail(claim, "boom")  # waiting for its retry, off the stream
    waiting = make_message("w1", "Mi correo es ana.p@example.com, contrato CT-778899", handle="@ana_p")
    other = make_message("b1", "Soy Bea, contrato CT-111222", handle="@bea")
    await store.enqueue([waiting, other])
    assert "CT-778899" in await hot_path_text(store)

    changed = await store.hot.forget_queued("twitter", "ana_p", "[erased]")  # as the identity names her
    assert changed >= 3
    everything = await hot_path_text(store)
    for value in (
        "CT-778899",
        "600111222",
        "ana.p@example.com",
        "Ana_P",
        "ana_p",
        author_digest("twitter", "ana_p"),
    ):
        assert value not in everything, value
    assert "CT-111222" in everything and "@bea" in everything  # nobody else's

    seen: dict[str, InboundMessage] = {}
    while len(seen) < 3:  # the scrubbed messages are still claimed, loaded and acked
        claims = await eventually(lambda: store.claim("w1", 3), timeout=20)
        seen |= {c.message.id: c.message for c in claims}
        await store.ack(claims)
    assert seen["r1"].text == seen["w1"].text == "[erased]" and seen["w1"].author.handle == "[erased]"
    assert seen["b1"].text == other.text
    [letter] = await store.dead_letters()
    assert letter.message is not None and letter.message.text == "[erased]"
    assert await store.queue_depth() == 0
    assert await store.hot.forget_queued("twitter", "@ana_p", "[erased]") == 0


async def test_dead_letter_pages_show_each_letter_once_newest_first(store: Store) -> None:
    for name in ("d0", "d1", "d2", "d3", "d4"):
        await _dead_letter(store, [name])  # one at a time: distinct failure times
    assert await store.count_dead_letters() == 5

    first = await store.dead_letter_page(limit=2)
    await _dead_letter(store, ["late"])  # fails after the first page was read
    seen = [d.key for d in first.items]
    cursor = first.next
    while cursor is not None:
        page = await store.dead_letter_page(cursor=cursor, limit=2)
        seen += [d.key for d in page.items]
        cursor = page.next
    assert seen == [f"twitter:d{i}" for i in (4, 3, 2, 1, 0)]
    assert (await store.dead_letter_page(limit=1)).items[0].key == "twitter:late"
    assert (await store.dead_letter_page(limit=6)).next is None
    assert await store.count_dead_letters() == 6


async def test_dead_letter_page_refuses_a_cursor_it_did_not_hand_out(store: Store) -> None:
    with pytest.raises(InvalidCursor):
        await store.dead_letter_page(cursor="bm90LWEtY3Vyc29y")
    with pytest.raises(InvalidCursor):
        await store.dead_letter_page(cursor=encode_cursor(["yesterday", "twitter:a"]))


async def test_message_never_acked_ends_in_dead_letters(store: Store) -> None:
    await store.enqueue([make_message("stuck")])
    for _ in range(3):
        await eventually(lambda: store.claim("w1", 1), timeout=5)

    async def redeliver_once_more() -> list[DeadLetter]:
        # The fourth delivery would exceed max_attempts=3: it is dead-lettered instead.
        assert await store.claim("w1", 1) == []
        return await store.dead_letters()

    letters = await eventually(redeliver_once_more, timeout=5)
    assert letters[0].attempts == 3 and "visibility timeout" in letters[0].error


async def test_reserve_is_set_if_absent_on_callers_clock(store: Store) -> None:
    hour = timedelta(hours=1)
    assert await store.reserve("thread:x", now=T0, until=T0 + hour)
    assert not await store.reserve("thread:x", now=T0 + timedelta(minutes=59), until=T0 + 2 * hour)
    assert await store.reserve("thread:x", now=T0 + hour + timedelta(seconds=1), until=T0 + 2 * hour)


async def test_concurrent_reservations_have_one_winner(store: Store) -> None:
    results = await asyncio.gather(
        *(store.reserve("case:one", now=T0, until=T0 + timedelta(days=7)) for _ in range(20))
    )
    assert results.count(True) == 1


async def test_incr_window_counts_per_window(store: Store) -> None:
    counts = [
        await store.incr_window("author:@a", now=T0 + timedelta(minutes=m), window_s=3600) for m in (1, 2, 3)
    ]
    assert counts == [1, 2, 3]
    assert await store.incr_window("author:@a", now=T0 + timedelta(hours=1, minutes=1), window_s=3600) == 1


async def test_reserve_and_count_counts_only_when_the_reservation_is_taken(store: Store) -> None:
    hour = timedelta(hours=1)

    async def both(owner: str, minutes: int) -> int | None:
        now = T0 + timedelta(minutes=minutes)
        return await store.reserve_and_count(
            "thread:y", now=now, until=now + hour, owner=owner, counter="author:@b", window_s=3600
        )

    assert await both("m1", 1) == 1
    assert await both("m1", 2) == 2  # the same owner takes its own reservation again
    assert await both("m2", 3) is None  # refused: nothing counted
    assert await store.incr_window("author:@b", now=T0 + timedelta(minutes=4), window_s=3600) == 3
    assert not await store.reserve("thread:y", now=T0 + timedelta(minutes=5), until=T0 + hour)


async def test_flags_persist_and_delete(store: Store) -> None:
    assert await store.get_flag("kill_switch") is None
    await store.set_flag("kill_switch", "on")
    assert await store.get_flag("kill_switch") == "on"
    await store.set_flag("kill_switch", None)
    assert await store.get_flag("kill_switch") is None


async def test_unicode_survives_round_trip(store: Store) -> None:
    text = "Ñandú 🚀 çãõ — 日本語 \u200d"
    await store.enqueue([make_message("u", text=text)])
    claims = await store.claim("w1", 1)
    assert claims[0].message.text == text


async def test_ping_and_clear(store: Store) -> None:
    assert await store.ping()
    await store.enqueue([make_message("a")])
    await store.clear()
    assert await store.queue_depth() == 0
    assert await store.enqueue([make_message("a")]) == [True]


async def test_lease_has_one_holder_until_released(store: Store) -> None:
    results = await asyncio.gather(*(store.acquire_lease("scheduler", f"r{i}", 30) for i in range(10)))
    assert results.count(True) == 1
    winner = f"r{results.index(True)}"
    assert await store.acquire_lease("scheduler", winner, 30)  # the holder extends its own
    assert not await store.renew_lease("scheduler", "other", 30)
    assert await store.renew_lease("scheduler", winner, 30)
    assert not await store.release_lease("scheduler", "other")
    assert await store.hot.lease_holder("scheduler") == winner
    assert await store.release_lease("scheduler", winner)
    assert await store.hot.lease_holder("scheduler") is None
    assert await store.acquire_lease("scheduler", "other", 30)


async def test_expired_lease_goes_to_the_next_candidate(store: Store) -> None:
    assert await store.acquire_lease("leader", "old", 0.2)
    assert not await store.acquire_lease("leader", "new", 30)
    assert await eventually(lambda: store.acquire_lease("leader", "new", 30), timeout=5)
    assert not await store.renew_lease("leader", "old", 30)  # the old leader learns it lost
