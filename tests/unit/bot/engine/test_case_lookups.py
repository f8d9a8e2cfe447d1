"""The case book's look-ups made once per claimed batch decide exactly as one per complaint.

Run on every records backend. Each scenario is played twice on one store (cleared between): by
a book asked per complaint, and by a book that was handed the claimed batch first; the cases,
outcomes and languages must be the same, and the batched book must not ask the store the
per-complaint questions (identity link, what the message did, the case it opened).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from bot.core.cases import Case
from bot.core.customers import Customer, Identity
from bot.core.models import Author, InboundMessage
from bot.core.records import RecordKind
from bot.engine.cases import CaseBook, CaseResult
from bot.engine.customers import CustomerBook
from bot.store.records import RecordStore
from tests.unit.bot.engine.case_drafts import T0, draft


class CountingRecords:
    """The records store, counting each call by method and kind."""

    def __init__(self, inner: RecordStore) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            kind = getattr(args[0], "kind", args[0]) if args else ""
            self.calls[f"{name}:{kind}"] += 1
            return await method(*args, **kwargs)

        return counted


def message_of(case: Case) -> InboundMessage:
    return InboundMessage(
        id=case.message_key.partition(":")[2],
        channel=case.channel,
        created_at=case.opened_at,
        author=Author(handle=case.author),
        text=case.text,
    )


async def play(
    records: RecordStore, drafts: list[Case], *, batched: bool
) -> tuple[list[CaseResult], Counter[str]]:
    """Bruno is a known customer (Portuguese); the drafts are one claimed batch."""
    await CustomerBook(records).upsert(
        Customer(
            id="K-1",
            name="Bruno",
            preferred_language="pt",
            identities=[Identity(channel="twitter", handle="@bruno")],
        )
    )
    counting = CountingRecords(records)
    book = CaseBook(counting)
    if batched:
        book.prefetch([message_of(d) for d in drafts])
    return [await book.open_or_join(d) for d in drafts], counting.calls


async def test_a_batch_looked_up_at_claim_time_decides_as_one_look_up_per_complaint(
    records: RecordStore,
) -> None:
    drafts = [
        draft("m1"),
        draft("m2", "@ANA", at=T0 + timedelta(minutes=1)),  # joins m1's case
        draft("m3", "@bruno"),  # a known customer: their language
        draft("m1"),  # the same message again in the batch: acknowledged as before
        draft("m4", "@carla"),
    ]
    asked, per_complaint = await play(records, drafts, batched=False)
    await records.clear()
    batched, calls = await play(records, drafts, batched=True)
    summary = [(r.case.id, r.outcome, r.language, r.case.contacts) for r in asked]
    assert [(r.case.id, r.outcome, r.language, r.case.contacts) for r in batched] == summary
    assert summary[2][2] == "pt" and summary[1][1] == "joined" and summary[3][:2] == ("C-1001", "opened")
    assert per_complaint["query_records:case"] == 3 and per_complaint["get_record:identity"] == 5
    # One call per question for the whole batch; the second m1 has no answer left and asks.
    assert calls["records_by_key:case"] == 1 and calls["get_records:identity"] == 1
    assert calls["query_records:case"] == 0 and calls["get_record:identity"] == 1
    assert calls["get_record:case_message"] == 1
    # The pointers come with the batch too (the second m1 reads none: it was handled): read
    # again only for m2 (m1 moved @ana's pointer after the batch was asked) and for Bruno (his
    # customer's pointer was not asked).
    assert per_complaint["get_record:case_identity"] == 4
    assert calls["get_records:case_identity"] == 1 and calls["get_record:case_identity"] == 2


async def test_a_case_opened_by_an_interrupted_attempt_is_found_by_the_batch_look_up(
    records: RecordStore,
) -> None:
    first = await CaseBook(records).open_or_join(draft("m1"))
    # The attempt stopped after opening the case: what the message did was never written, and
    # someone else's complaint has moved the identity's pointer since.
    assert await records.delete_record(RecordKind.CASE_MESSAGE, "twitter:m1")
    await records.delete_record(RecordKind.CASE_IDENTITY, first.case.identity)
    book = CaseBook(records)
    book.prefetch([message_of(draft("m1"))])
    again = await book.open_or_join(draft("m1"))
    assert (again.case.id, again.outcome) == (first.case.id, "opened")
    assert await records.count_records(RecordKind.CASE) == 1


async def test_a_pointer_moved_elsewhere_after_the_batch_was_asked_is_read_again(
    records: RecordStore,
) -> None:
    book = CaseBook(records)
    book.prefetch([message_of(draft("m2", at=T0 + timedelta(minutes=1)))])
    await book._lookups._ahead["twitter:m2"]  # the batch's look-up has run: @ana had no case
    # Another replica opens a case for @ana in between: this book's prefetched pointer is stale.
    first = await CaseBook(records).open_or_join(draft("m1"))
    joined = await book.open_or_join(draft("m2", at=T0 + timedelta(minutes=1)))
    assert (joined.case.id, joined.outcome, joined.case.contacts) == (first.case.id, "joined", 2)
    assert await records.count_records(RecordKind.CASE) == 1
