"""The records contract: every test here runs on embedded SQLite, aiosqlite and real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.models import AuditEvent, Decision, OutboxItem
from bot.store.records import Filters, InvalidCursor, RecordFilter, RecordStore, RecordSwap, RecordWrite
from bot.store.scan import all_records

T0 = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)


async def test_decisions_upsert_and_list_newest_first(records: RecordStore) -> None:
    older = Decision(message_key="twitter:a", action="agent", reason="r", rule="x", decided_at=T0)
    newer = Decision(
        message_key="twitter:b", action="answer", reason="r", rule="y", decided_at=T0 + timedelta(1)
    )
    await records.save_decisions([older, newer])
    await records.save_decisions([older.model_copy(update={"action": "case"})])
    assert [d.message_key for d in await records.list_decisions()] == ["twitter:b", "twitter:a"]
    assert [d.message_key for d in await records.list_decisions(action="case")] == ["twitter:a"]
    saved = await records.get_decision("twitter:a")
    assert saved is not None and saved.action == "case"
    assert await records.get_decision("twitter:zzz") is None


async def test_decisions_are_saved_with_a_batch_s_records(records: RecordStore) -> None:
    """The worker stores a batch's write-only records with its decisions, in one call: each kept
    as `put_records` keeps it (an insert-if-absent keeps the first, an overwrite replaces)."""
    await records.put_records([RecordWrite("echo", "fp-1", {"outbox": "first"}, only_if_absent=True)])
    decision = Decision(message_key="twitter:a", action="agent", reason="r", rule="x", decided_at=T0)
    writes = [
        RecordWrite("echo", "fp-1", {"outbox": "second"}, only_if_absent=True),
        RecordWrite("echo", "fp-2", {"outbox": "new"}, only_if_absent=True),
        RecordWrite("agent_queue", "twitter:a", {"reason": "r"}),
    ]
    await records.save_decisions([decision], writes)
    echoes = await records.get_records("echo", ["fp-1", "fp-2"])
    assert {k: r.data["outbox"] for k, r in echoes.items()} == {"fp-1": "first", "fp-2": "new"}
    queued = await records.get_record("agent_queue", "twitter:a")
    assert queued is not None and queued.data == {"reason": "r"}
    assert await records.get_decision("twitter:a") == decision
    await records.save_decisions([], [RecordWrite("agent_queue", "twitter:b", {"reason": "s"})])
    assert await records.get_record("agent_queue", "twitter:b") is not None


async def test_outbox_is_insert_if_absent_and_tracks_status(records: RecordStore) -> None:
    item = OutboxItem(idempotency_key="reply:twitter:a", account="robot", channel="twitter", text="hola")
    assert await records.add_outbox([item, item.model_copy(update={"text": "again"})]) == [True, False]
    due = await records.due_outbox(datetime.now(UTC), 10)
    assert [i.text for i in due] == ["hola"]

    later = item.model_copy(update={"attempts": 1, "next_attempt_at": datetime.now(UTC) + timedelta(hours=1)})
    await records.update_outbox(later)
    assert await records.due_outbox(datetime.now(UTC), 10) == []
    await records.update_outbox(later.model_copy(update={"status": "published"}))
    counts = await records.outbox_counts()
    assert counts["published"] == 1 and counts["pending"] == 0 and counts["needs_review"] == 0
    assert [i.status for i in await records.list_outbox(status="published")] == ["published"]
    fetched = await records.get_outbox("reply:twitter:a")
    assert fetched is not None and fetched.attempts == 1
    other = item.model_copy(update={"idempotency_key": "reply:twitter:b"})
    await records.add_outbox([other])
    await records.update_outboxes(
        [fetched.model_copy(update={"attempts": 2}), other.model_copy(update={"attempts": 3})]
    )
    assert [(await records.get_outbox(k)).attempts for k in ("reply:twitter:a", "reply:twitter:b")] == [2, 3]  # type: ignore[union-attr]


async def test_outbox_keys_are_found_by_message_key_in_one_call(records: RecordStore) -> None:
    def item(key: str, message_key: str | None) -> OutboxItem:
        return OutboxItem(
            idempotency_key=key, account="robot", channel="twitter", text="t", message_key=message_key
        )

    await records.add_outbox(
        [
            item("a:twitter:1", "twitter:1"),
            item("b:twitter:1", "twitter:1"),
            item("n:9", None),
            item("a:twitter:2", "twitter:2"),
        ]
    )
    assert await records.outbox_keys_of(["twitter:1", "twitter:3"]) == {"a:twitter:1", "b:twitter:1"}
    many = [f"twitter:x{i}" for i in range(600)] + ["twitter:2"]  # longer than one statement's list
    assert await records.outbox_keys_of(many) == {"a:twitter:2"}
    assert await records.outbox_keys_of([]) == set()


async def test_audit_is_append_only_newest_first(records: RecordStore) -> None:
    await records.append_audit(
        [AuditEvent(kind="kill_switch", subject="on"), AuditEvent(kind="reply", subject="a")]
    )
    await records.append_audit([AuditEvent(kind="kill_switch", subject="off")])
    assert [e.subject for e in await records.list_audit()] == ["off", "a", "on"]
    assert [e.subject for e in await records.list_audit(kind="kill_switch")] == ["off", "on"]


async def test_records_version_and_compare_and_set(records: RecordStore) -> None:
    assert await records.put_record("draft", "d1", {"text": "hola", "status": "pending"}, only_if_absent=True)
    assert not await records.put_record("draft", "d1", {"text": "other"}, only_if_absent=True)
    record = await records.get_record("draft", "d1")
    assert record is not None and record.version == 1 and record.data["text"] == "hola"

    outcomes = await asyncio.gather(
        *(
            records.cas_record("draft", "d1", expected_version=1, data={"status": "approved", "by": f"u{i}"})
            for i in range(10)
        )
    )
    assert outcomes.count(True) == 1
    record = await records.get_record("draft", "d1")
    assert record is not None and record.version == 2 and record.data["status"] == "approved"
    assert await records.cas_record("draft", "new", expected_version=0, data={"x": 1})
    assert await records.count_records("draft") == 2
    assert {r.id for r in await records.list_records("draft")} == {"d1", "new"}
    assert await records.get_record("case", "d1") is None


async def test_several_records_are_compared_and_set_all_or_nothing(records: RecordStore) -> None:
    assert await records.cas_records(
        [
            RecordSwap("case", "C-1", 0, {"status": "open"}),
            RecordSwap("case_identity", "twitter:ana", 0, {"case_id": "C-1"}),
        ]
    )
    # One stale version (the pointer is at 1 now) and nothing of the swap is written.
    assert not await records.cas_records(
        [
            RecordSwap("case", "C-2", 0, {"status": "open"}),
            RecordSwap("case_identity", "twitter:ana", 0, {"case_id": "C-2"}),
        ]
    )
    assert await records.get_record("case", "C-2") is None
    pointer = await records.get_record("case_identity", "twitter:ana")
    assert pointer is not None and (pointer.version, pointer.data) == (1, {"case_id": "C-1"})
    # An update at the stored version wins once among concurrent writers; an insert of an existing
    # record loses like a stale update.
    outcomes = await asyncio.gather(
        *(
            records.cas_records(
                [
                    RecordSwap("case", "C-1", 1, {"status": "pending", "by": f"u{i}"}),
                    RecordSwap("case_message", f"m{i}", 0, {}),
                ]
            )
            for i in range(6)
        )
    )
    assert outcomes.count(True) == 1
    assert await records.count_records("case_message") == 1
    case = await records.get_record("case", "C-1")
    assert case is not None and case.version == 2 and case.data["status"] == "pending"
    mixed = [
        RecordSwap("case", "C-3", 0, {"status": "open"}),
        RecordSwap("case", "C-1", 2, {"status": "solved"}),
        RecordSwap("case_identity", "twitter:ana", 0, {"case_id": "C-3"}),  # exists: loses
    ]
    assert not await records.cas_records(mixed)
    assert await records.get_record("case", "C-3") is None
    assert await records.get_record("case", "C-1") == case
    assert await records.cas_records([])


async def test_records_are_looked_up_in_batches(records: RecordStore) -> None:
    ids = [f"fp{i:04d}" for i in range(1200)]
    for record_id in ids[::100]:
        await records.put_record("echo", record_id, {"outbox": record_id})
    await records.put_record("case", "fp0001", {"other": "kind"})
    found = await records.get_records("echo", [*ids, "fp0000", "missing"])
    assert sorted(found) == ids[::100]
    assert found["fp0100"].data == {"outbox": "fp0100"} and found["fp0100"].kind == "echo"
    assert await records.get_records("echo", []) == {}


async def test_records_are_found_by_message_key_in_one_call(records: RecordStore) -> None:
    keys = [f"twitter:{i}" for i in range(70)]  # past the 64 of one padded statement
    for i, key in enumerate(keys[::3]):
        await records.put_record("case", f"C-{i}", {"message_key": key, "status": "open"})
    await records.put_record("case", "C-dup", {"message_key": keys[0], "status": "closed"})
    await records.put_record("case_message", "x", {"message_key": keys[3]})  # another kind
    found = await records.records_by_key("case", [*keys, keys[0], "twitter:missing"])
    assert sorted(found) == sorted(keys[::3])
    assert sorted(r.id for r in found[keys[0]]) == ["C-0", "C-dup"]
    assert [r.kind for r in found[keys[3]]] == ["case"] and found[keys[3]][0].data["status"] == "open"
    assert await records.records_by_key("case", []) == {}


async def test_a_batch_of_writes_is_put_like_single_puts(records: RecordStore) -> None:
    await records.put_record("alert", "kept", {"n": 1})
    await records.put_record("alert", "over", {"n": 1})
    await records.put_records(
        [
            RecordWrite("alert", "kept", {"n": 2}, only_if_absent=True),  # exists: left alone
            RecordWrite("alert", "over", {"n": 2}),  # overwritten: version 2
            RecordWrite("alert", "new", {"n": 3}, only_if_absent=True),
            RecordWrite("echo", "new", {"n": 4}),
        ]
    )
    kept, over, new = [await records.get_record("alert", i) for i in ("kept", "over", "new")]
    assert kept is not None and (kept.version, kept.data) == (1, {"n": 1})
    assert over is not None and (over.version, over.data) == (2, {"n": 2})
    assert new is not None and (new.version, new.data) == (1, {"n": 3})
    echo = await records.get_record("echo", "new")
    assert echo is not None and echo.data == {"n": 4}
    await records.put_records([])


async def test_filtered_list_with_more_matches_than_a_page_returns_all_across_pages(
    records: RecordStore,
) -> None:
    for i in range(57):
        status = "open" if i % 3 else "closed"
        await records.put_record(
            "case", f"c{i:03d}", {"status": status, "channel": "twitter", "author": "@ana"}
        )
    await records.put_record("case", "other", {"status": "open", "channel": "facebook", "author": "@bo"})
    where = RecordFilter("case", status="open", channel="twitter")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await records.query_records(where, cursor=cursor, limit=10)
        pages += 1
        seen += [r.id for r in page.items]
        assert len(page.items) <= 10
        if page.next is None:
            break
        cursor = page.next
    expected = {f"c{i:03d}" for i in range(57) if i % 3}
    assert len(seen) == len(expected) == 38 and set(seen) == expected
    assert pages == 4
    assert {r.id for r in await all_records(records, where, page=7)} == expected
    assert await records.count_records("case", status="open") == 39


async def test_pages_are_newest_first_and_stable_while_records_change(records: RecordStore) -> None:
    for i in range(6):
        await records.put_record("alert", f"a{i}", {"status": "open"})
    first = await records.query_records(RecordFilter("alert"), limit=3)
    assert [r.id for r in first.items] == ["a5", "a4", "a3"]
    await records.put_record("alert", "a5", {"status": "closed"})  # an update does not move it
    await records.put_record("alert", "a9", {"status": "open"})  # a newer one is not on later pages
    second = await records.query_records(RecordFilter("alert"), cursor=first.next, limit=3)
    assert [r.id for r in second.items] == ["a2", "a1", "a0"] and second.next is None


async def test_records_filter_on_customer_key_and_time(records: RecordStore) -> None:
    await records.put_record(
        "case", "c1", {"customer_id": "CRM-1", "author": "@ana", "message_key": "twitter:1"}
    )
    await records.put_record("case", "c2", {"author": "@ana", "message_key": "twitter:2"})
    await records.put_record("identity", "i1", {"customer_id": "CRM-1", "channel": "whatsapp"})
    by_customer = await records.query_records(RecordFilter("case", customer="CRM-1"))
    assert [r.id for r in by_customer.items] == ["c1"]
    assert [r.id for r in (await records.query_records(RecordFilter("case", customer="@ana"))).items] == [
        "c2"
    ]
    assert [r.id for r in (await records.query_records(RecordFilter("case", key="twitter:2"))).items] == [
        "c2"
    ]
    identities = await records.query_records(RecordFilter("identity", customer="CRM-1", channel="whatsapp"))
    assert [r.id for r in identities.items] == ["i1"]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert (await records.query_records(RecordFilter("case", since=future))).items == []
    assert len((await records.query_records(RecordFilter("case", until=future))).items) == 2


async def test_cases_filter_on_priority_which_follows_every_write(records: RecordStore) -> None:
    await records.put_record("case", "c1", {"status": "open", "priority": "urgent"})
    await records.put_record("case", "c2", {"status": "open", "priority": "normal"})
    await records.put_record("case", "c3", {"status": "solved", "priority": "urgent"})
    await records.put_record("alert", "a1", {"priority": "urgent"})

    async def ids(priority: str, status: str | None = None) -> list[str]:
        where = RecordFilter("case", status=status, priority=priority)
        return sorted(r.id for r in (await records.query_records(where)).items)

    assert await ids(priority="urgent") == ["c1", "c3"]
    assert await ids(priority="urgent", status="open") == ["c1"]
    assert await ids(priority="low") == []
    # A compare-and-set that raises the priority moves the case into the other filter.
    assert await records.cas_record(
        "case", "c2", expected_version=1, data={"status": "open", "priority": "urgent"}
    )
    assert await ids(priority="urgent", status="open") == ["c1", "c2"]
    assert await ids(priority="normal") == []


async def test_a_cursor_not_handed_out_is_refused(records: RecordStore) -> None:
    with pytest.raises(InvalidCursor):
        await records.query_records(RecordFilter("case"), cursor="not-a-cursor")
    with pytest.raises(InvalidCursor):
        await records.query_decisions(Filters(), cursor="WzFd")  # valid base64 JSON, wrong shape


async def test_decisions_outbox_and_audit_paginate_with_filters(records: RecordStore) -> None:
    decisions = [
        Decision(
            message_key=f"{'twitter' if i % 2 else 'facebook'}:m{i:02d}",
            action="answer" if i % 4 else "case",
            reason="r",
            rule="x",
            decided_at=T0 + timedelta(seconds=i),
        )
        for i in range(25)
    ]
    await records.save_decisions(decisions)
    collected: list[str] = []
    cursor = None
    while True:
        page = await records.query_decisions(Filters({"channel": "twitter"}), cursor=cursor, limit=4)
        collected += [d.message_key for d in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert collected == [d.message_key for d in reversed(decisions) if d.message_key.startswith("twitter")]
    since = await records.query_decisions(Filters({"action": "case"}, since=T0 + timedelta(seconds=10)))
    assert [d.message_key for d in since.items] == [
        "facebook:m24",
        "facebook:m20",
        "facebook:m16",
        "facebook:m12",
    ]

    items = [
        OutboxItem(idempotency_key=f"reply:{i}", account="robot", channel="twitter", text=str(i))
        for i in range(7)
    ]
    await records.add_outbox(items)
    keys: list[str] = []
    page_o = await records.query_outbox(Filters({"status": "pending"}), limit=3)
    keys += [i.idempotency_key for i in page_o.items]
    while page_o.next:
        page_o = await records.query_outbox(Filters({"status": "pending"}), cursor=page_o.next, limit=3)
        keys += [i.idempotency_key for i in page_o.items]
    assert sorted(keys) == sorted(i.idempotency_key for i in items) and len(keys) == 7

    await records.append_audit([AuditEvent(kind="reply", subject=f"s{i}") for i in range(5)])
    first = await records.query_audit(Filters({"kind": "reply"}), limit=2)
    rest = await records.query_audit(Filters({"kind": "reply"}), cursor=first.next, limit=10)
    assert [e.subject for e in first.items + rest.items] == ["s4", "s3", "s2", "s1", "s0"]


async def test_outbox_lease_hands_each_item_to_one_publisher(records: RecordStore) -> None:
    now = datetime.now(UTC)
    items = [
        OutboxItem(
            idempotency_key=f"k{i:02d}", account="robot", channel="twitter", text="t", next_attempt_at=now
        )
        for i in range(30)
    ]
    await records.add_outbox(items)
    batches = await asyncio.gather(
        *(records.lease_outbox(now, 8, owner=f"p{i}", lease_s=60) for i in range(6))
    )
    taken = [i.idempotency_key for batch in batches for i in batch]
    assert len(taken) == len(set(taken)) == 30
    assert await records.lease_outbox(now, 50, owner="late", lease_s=60) == []
    # Settling an item ends its lease; an expired lease makes the item due again.
    first = batches[0][0]
    await records.update_outbox(first.model_copy(update={"attempts": 1}))
    again = await records.lease_outbox(now, 50, owner="late", lease_s=60)
    assert [i.idempotency_key for i in again] == [first.idempotency_key]
    expired = await records.lease_outbox(now + timedelta(seconds=61), 50, owner="later", lease_s=60)
    assert len(expired) == 30  # every lease, including the re-leased one, has run out


async def test_an_in_flight_mark_survives_the_lease(records: RecordStore) -> None:
    """The publisher marks an item before sending (`attempt_started_at`); a publisher that dies
    leaves the mark, and whoever leases the item after the lease finds it (then `needs_review`)."""
    now = datetime.now(UTC).replace(microsecond=0)
    item = OutboxItem(idempotency_key="m1", account="robot", channel="twitter", text="t", next_attempt_at=now)
    await records.add_outbox([item])
    (leased,) = await records.lease_outbox(now, 10, owner="p1", lease_s=60)
    marked = {"attempt_started_at": now, "next_attempt_at": now + timedelta(seconds=60)}
    await records.update_outbox(leased.model_copy(update=marked))
    assert await records.lease_outbox(now + timedelta(seconds=30), 10, owner="p2", lease_s=60) == []
    (found,) = await records.lease_outbox(now + timedelta(seconds=61), 10, owner="p2", lease_s=60)
    assert found.attempt_started_at == now
    await records.update_outbox(
        found.model_copy(update={"attempt_started_at": None, "status": "needs_review"})
    )
    assert (await records.outbox_counts())["needs_review"] == 1


async def test_minute_counts_follow_decisions_and_redeliveries(records: RecordStore) -> None:
    one = Decision(message_key="twitter:a", action="answer", reason="r", rule="x", decided_at=T0)
    two = Decision(
        message_key="twitter:b", action="answer", reason="r", rule="x", decided_at=T0 + timedelta(seconds=5)
    )
    three = Decision(
        message_key="email:c", action="case", reason="r", rule="x", decided_at=T0 + timedelta(minutes=1)
    )
    await records.save_decisions([one, two, three])
    counts = await records.minute_counts(T0, T0 + timedelta(minutes=2))
    assert [(c.minute, c.channel, c.action, c.count) for c in counts] == [
        (T0, "twitter", "answer", 2),
        (T0 + timedelta(minutes=1), "email", "case", 1),
    ]
    assert await records.minute_counts(T0 + timedelta(minutes=5), T0 + timedelta(minutes=6)) == []


async def test_idempotent_writes_hold_under_concurrency(records: RecordStore) -> None:
    item = OutboxItem(idempotency_key="reply:once", account="robot", channel="twitter", text="hola")
    added = await asyncio.gather(*(records.add_outbox([item]) for _ in range(10)))
    assert sum(a[0] for a in added) == 1
    created = await asyncio.gather(
        *(records.put_record("draft", "d1", {"n": i}, only_if_absent=True) for i in range(10))
    )
    assert created.count(True) == 1


async def test_a_deleted_record_is_gone_and_deleting_twice_is_harmless(records: RecordStore) -> None:
    await records.put_record("customer", "K-1", {"name": "Ana"})
    await records.put_record("customer", "K-2", {"name": "Bo"})
    assert await records.delete_record("customer", "K-1")
    assert not await records.delete_record("customer", "K-1")
    assert await records.get_record("customer", "K-1") is None
    assert await records.get_record("customer", "K-2") is not None


async def test_a_forgotten_author_leaves_their_decisions_and_the_people_figures(records: RecordStore) -> None:
    def by(key: str, author: str) -> Decision:
        return Decision(
            message_key=key, action="case", reason="r", rule="x", decided_at=T0, author=author, message_at=T0
        )

    await records.save_decisions(
        [
            by("twitter:a1", "@ana_p"),
            by("twitter:a2", "@Ana_P"),
            by("twitter:b1", "@bo"),
            by("whatsapp:a3", "ana_p"),
        ]
    )
    # Identities compare without case or a leading @; only that channel's decisions change.
    assert await records.forget_author("twitter", "ana_p", "[erased]") == 2
    kept = {d.message_key: d.author for d in await records.list_decisions(limit=10)}
    assert kept == {
        "twitter:a1": "[erased]",
        "twitter:a2": "[erased]",
        "twitter:b1": "@bo",
        "whatsapp:a3": "ana_p",
    }
    people = await records.author_stats(T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert sorted((p.channel, p.author) for p in people) == [("twitter", "@bo"), ("whatsapp", "ana_p")]
