"""One case per problem: follow-ups join, recent solutions reopen, redeliveries change nothing.

Run on every records backend (embedded SQLite, aiosqlite, PostgreSQL): the counter and the
identity pointer are compare-and-set records, and they must hold on each.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.records import RecordKind
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.cases import CaseBook, load_case
from bot.store.records import RecordStore
from tests.unit.bot.engine.case_drafts import T0, draft


async def test_a_follow_up_from_the_same_identity_joins_the_open_case(records: RecordStore) -> None:
    book = CaseBook(records)
    first = await book.open_or_join(draft("m1"))
    second = await book.open_or_join(draft("m2", "@ANA", at=T0 + timedelta(hours=1)))
    other = await book.open_or_join(draft("m3", "@bruno"))
    assert (first.outcome, second.outcome, other.outcome) == ("opened", "joined", "opened")
    assert first.case.id == second.case.id == "C-1001" and other.case.id == "C-1002"
    stored = await load_case(records, "C-1001")
    assert stored is not None and stored.contacts == 2
    assert [c.key for c in stored.comments] == ["twitter:m2"]
    assert stored.priority == "high"  # a repeat contact raises it one step


async def test_a_redelivered_message_acknowledges_the_same_case_and_adds_nothing(
    records: RecordStore,
) -> None:
    book = CaseBook(records)
    await book.open_or_join(draft("m1"))
    joined = await book.open_or_join(draft("m2"))
    again = await book.open_or_join(draft("m2"))
    reopened_first = await book.open_or_join(draft("m1"))
    assert (again.case.id, again.outcome) == (joined.case.id, "joined")
    assert reopened_first.outcome == "opened"
    stored = await load_case(records, joined.case.id)
    assert stored is not None and stored.contacts == 2 and len(stored.comments) == 1
    assert await records.count_records(RecordKind.CASE) == 1


async def test_a_complaint_soon_after_the_solution_reopens_later_ones_open_a_new_case(
    records: RecordStore,
) -> None:
    book, lifecycle = CaseBook(records, reopen_window=timedelta(days=7)), CaseLifecycle(records)
    opened = await book.open_or_join(draft("m1"))
    assert (await lifecycle.set_status(opened.case.id, "solved", actor="t", now=T0 + timedelta(days=1))).ok
    reopened = await book.open_or_join(draft("m2", at=T0 + timedelta(days=3)))
    assert (reopened.case.id, reopened.outcome) == (opened.case.id, "reopened")
    assert reopened.case.status == "open" and reopened.case.reopened == 1
    await lifecycle.set_status(opened.case.id, "closed", actor="t", now=T0 + timedelta(days=4))
    late = await book.open_or_join(draft("m3", at=T0 + timedelta(days=20)))
    assert late.outcome == "opened" and late.case.id != opened.case.id


async def test_a_known_customer_joins_their_case_from_another_channel(records: RecordStore) -> None:
    book = CaseBook(records)
    first = await book.open_or_join(draft("m1", customer_id="CRM-7"))
    other_channel = await book.open_or_join(
        draft("w1", "34600111222", channel="whatsapp", customer_id="CRM-7")
    )
    assert other_channel.outcome == "joined" and other_channel.case.id == first.case.id


async def test_concurrent_first_complaints_of_one_identity_end_in_one_case(records: RecordStore) -> None:
    book = CaseBook(records)
    results = await asyncio.gather(*(book.open_or_join(draft(f"m{i}")) for i in range(6)))
    assert len({r.case.id for r in results}) == 1
    assert sorted(r.outcome for r in results) == ["joined"] * 5 + ["opened"]
    live = await records.count_records(RecordKind.CASE, status="open")
    assert live == 1 and await records.count_records(RecordKind.CASE) == 1  # the loser wrote nothing


async def test_references_are_unique_under_concurrent_openers(records: RecordStore) -> None:
    books = [CaseBook(records), CaseBook(records)]  # as two replicas over one database
    results = await asyncio.gather(*(books[i % 2].open_or_join(draft(f"m{i}", f"@c{i}")) for i in range(20)))
    ids = [r.case.id for r in results]
    assert len(set(ids)) == 20 and all(i.startswith("C-") for i in ids)
