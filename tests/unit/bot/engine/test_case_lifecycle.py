"""Status changes: only the allowed ones, audited, and a solved case tells its customer once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.cases import CaseStatus
from bot.engine.case_lifecycle import CaseLifecycle
from bot.engine.cases import CaseBook, load_case
from bot.store.records import Filters, RecordStore
from tests.unit.bot.engine.case_drafts import draft

T0 = datetime(2026, 5, 20, 9, tzinfo=UTC)


async def test_open_pending_solved_closed_with_audit(records: RecordStore) -> None:
    opened = await CaseBook(records).open_or_join(draft("m1"))
    lifecycle = CaseLifecycle(records)
    statuses: tuple[CaseStatus, ...] = ("pending", "solved", "closed")
    for status in statuses:
        change = await lifecycle.set_status(opened.case.id, status, actor="api:eva", now=T0)
        assert change.outcome == "changed" and change.case is not None and change.case.status == status
    audit = await records.query_audit(Filters({"kind": "case_status", "subject": opened.case.id}))
    assert [e.detail["to"] for e in reversed(audit.items)] == ["pending", "solved", "closed"]
    assert {e.actor for e in audit.items} == {"api:eva"}


async def test_forbidden_and_unknown_changes_are_refused(records: RecordStore) -> None:
    opened = await CaseBook(records).open_or_join(draft("m1"))
    lifecycle = CaseLifecycle(records)
    await lifecycle.set_status(opened.case.id, "closed", actor="t")
    assert (await lifecycle.set_status(opened.case.id, "open", actor="t")).outcome == "refused"
    assert (await lifecycle.set_status(opened.case.id, "closed", actor="t")).outcome == "unchanged"
    assert (await lifecycle.set_status("C-9", "solved", actor="t")).outcome == "not_found"


async def test_the_customer_hears_once_per_solution_on_their_thread_in_their_language(
    records: RecordStore,
) -> None:
    opened = await CaseBook(records).open_or_join(draft("m1", language="pt"))
    lifecycle = CaseLifecycle(records)
    await lifecycle.set_status(opened.case.id, "solved", actor="crm", now=T0)
    await lifecycle.set_status(opened.case.id, "solved", actor="api", now=T0)  # again: unchanged
    [notice] = (await records.query_outbox(Filters({"message_key": "twitter:m1"}))).items
    assert notice.idempotency_key == f"case_solved:{opened.case.id}:0"
    assert notice.target == "m1" and notice.channel == "twitter" and notice.recipient == "@ana"
    assert "foi resolvido" in notice.text and opened.case.id in notice.text
    await lifecycle.set_status(opened.case.id, "open", actor="api", now=T0 + timedelta(hours=1))
    await lifecycle.set_status(opened.case.id, "solved", actor="api", now=T0 + timedelta(hours=2))
    keys = {
        i.idempotency_key for i in (await records.query_outbox(Filters({"message_key": "twitter:m1"}))).items
    }
    assert keys == {f"case_solved:{opened.case.id}:0", f"case_solved:{opened.case.id}:1"}


async def test_notes_are_kept_in_order(records: RecordStore) -> None:
    opened = await CaseBook(records).open_or_join(draft("m1"))
    lifecycle = CaseLifecycle(records)
    await lifecycle.add_note(opened.case.id, "llamé al cliente", actor="api:eva")
    await lifecycle.add_note(opened.case.id, "técnico asignado", actor="api:eva")
    case = await load_case(records, opened.case.id)
    assert case is not None
    assert [(c.kind, c.text) for c in case.comments] == [
        ("note", "llamé al cliente"),
        ("note", "técnico asignado"),
    ]
    assert (await lifecycle.add_note("C-404", "x", actor="t")).outcome == "not_found"
