"""One contract, two stores: every test here runs against real SQLite and real Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.models import AuditEvent, DeadLetter, Decision, OutboxItem
from bot.store.base import Store
from tests.conftest import eventually, make_message

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


async def test_enqueue_is_idempotent_on_channel_and_id(store: Store) -> None:
    first = await store.enqueue([make_message("a"), make_message("b")])
    again = await store.enqueue([make_message("a", text="other text"), make_message("a", channel="facebook")])
    assert first == [True, True]
    assert again == [False, True]
    assert await store.queue_depth() == 3


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


async def test_decisions_upsert_and_list_newest_first(store: Store) -> None:
    older = Decision(message_key="twitter:a", action="agent", reason="r", rule="x", decided_at=T0)
    newer = Decision(
        message_key="twitter:b", action="answer", reason="r", rule="y", decided_at=T0 + timedelta(1)
    )
    await store.save_decisions([older, newer])
    await store.save_decisions([older.model_copy(update={"action": "case"})])
    assert [d.message_key for d in await store.list_decisions()] == ["twitter:b", "twitter:a"]
    assert [d.message_key for d in await store.list_decisions(action="case")] == ["twitter:a"]
    saved = await store.get_decision("twitter:a")
    assert saved is not None and saved.action == "case"
    assert await store.get_decision("twitter:zzz") is None


async def test_outbox_is_insert_if_absent_and_tracks_status(store: Store) -> None:
    item = OutboxItem(idempotency_key="reply:twitter:a", account="robot", channel="twitter", text="hola")
    assert await store.add_outbox([item, item.model_copy(update={"text": "again"})]) == [True, False]
    due = await store.due_outbox(datetime.now(UTC), 10)
    assert [i.text for i in due] == ["hola"]

    later = item.model_copy(update={"attempts": 1, "next_attempt_at": datetime.now(UTC) + timedelta(hours=1)})
    await store.update_outbox(later)
    assert await store.due_outbox(datetime.now(UTC), 10) == []
    await store.update_outbox(later.model_copy(update={"status": "published"}))
    counts = await store.outbox_counts()
    assert counts["published"] == 1 and counts["pending"] == 0 and counts["needs_review"] == 0
    assert [i.status for i in await store.list_outbox(status="published")] == ["published"]
    fetched = await store.get_outbox("reply:twitter:a")
    assert fetched is not None and fetched.attempts == 1


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


async def test_flags_persist_and_delete(store: Store) -> None:
    assert await store.get_flag("kill_switch") is None
    await store.set_flag("kill_switch", "on")
    assert await store.get_flag("kill_switch") == "on"
    await store.set_flag("kill_switch", None)
    assert await store.get_flag("kill_switch") is None


async def test_audit_is_append_only_newest_first(store: Store) -> None:
    await store.append_audit(
        [AuditEvent(kind="kill_switch", subject="on"), AuditEvent(kind="reply", subject="a")]
    )
    await store.append_audit([AuditEvent(kind="kill_switch", subject="off")])
    assert [e.subject for e in await store.list_audit()] == ["off", "a", "on"]
    assert [e.subject for e in await store.list_audit(kind="kill_switch")] == ["off", "on"]


async def test_records_version_and_compare_and_set(store: Store) -> None:
    assert await store.put_record("draft", "d1", {"text": "hola", "status": "pending"}, only_if_absent=True)
    assert not await store.put_record("draft", "d1", {"text": "other"}, only_if_absent=True)
    record = await store.get_record("draft", "d1")
    assert record is not None and record.version == 1 and record.data["text"] == "hola"

    outcomes = await asyncio.gather(
        *(
            store.cas_record("draft", "d1", expected_version=1, data={"status": "approved", "by": f"u{i}"})
            for i in range(10)
        )
    )
    assert outcomes.count(True) == 1
    record = await store.get_record("draft", "d1")
    assert record is not None and record.version == 2 and record.data["status"] == "approved"
    assert await store.cas_record("draft", "new", expected_version=0, data={"x": 1})
    assert await store.count_records("draft") == 2
    assert {r.id for r in await store.list_records("draft")} == {"d1", "new"}
    assert await store.get_record("case", "d1") is None


async def test_records_are_looked_up_in_batches(store: Store) -> None:
    ids = [f"fp{i:04d}" for i in range(1200)]
    for record_id in ids[::100]:
        await store.put_record("echo", record_id, {"outbox": record_id})
    await store.put_record("case", "fp0001", {"other": "kind"})
    found = await store.get_records("echo", [*ids, "fp0000", "missing"])
    assert sorted(found) == ids[::100]
    assert found["fp0100"].data == {"outbox": "fp0100"} and found["fp0100"].kind == "echo"
    assert await store.get_records("echo", []) == {}


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
