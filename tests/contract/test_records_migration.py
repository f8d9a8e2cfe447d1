"""An SQLite file written by main before the split (2ac061c) opens, and is migrated in place."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bot.store.records import Filters, RecordFilter
from bot.store.scan import all_records
from bot.store.sql.migrations import current_version
from bot.store.sqlite import SqliteStore

LEGACY = Path(__file__).parent.parent / "data" / "legacy" / "main-2ac061c.sqlite3"


def _legacy_counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in ("messages", "decisions", "outbox", "audit", "records", "reservations")
        }
    finally:
        conn.close()


async def test_a_file_written_by_main_is_migrated_in_place_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "centinela.sqlite3"
    shutil.copy(LEGACY, path)
    before = _legacy_counts(path)
    assert before["records"] == 168 and before["decisions"] == 145 and before["audit"] == 2

    store = SqliteStore(path)
    await store.open()
    try:
        # Records: every legacy row, with its version, times and data, now filterable.
        cases = await all_records(store.records, RecordFilter("case"), page=10)
        assert len(cases) == 97
        open_cases = await all_records(store.records, RecordFilter("case", status="open"))
        assert len(open_cases) == sum(1 for c in cases if c.data.get("status") == "open") > 0
        sample = next(c for c in cases if c.id == "C-264292F4")
        assert sample.version == 1 and sample.data["message_key"] == "facebook:o0003"
        assert sample.data["author"] == "@elena.sanchez82" and "kind" not in sample.data
        by_customer = await store.records.query_records(RecordFilter("case", customer="@elena.sanchez82"))
        assert "C-264292F4" in {r.id for r in by_customer.items}
        by_key = await store.records.query_records(RecordFilter("case", key="facebook:o0003"))
        assert [r.id for r in by_key.items] == ["C-264292F4"]
        assert await store.count_records("incident") == 1 and await store.count_records("echo") == 60
        # Decisions, outbox and audit keep their JSON and gain their columns.
        facebook = await store.records.query_decisions(Filters({"channel": "facebook"}), limit=1000)
        assert facebook.items and all(d.message_key.startswith("facebook:") for d in facebook.items)
        assert (await store.outbox_counts())["published"] == 124
        assert [e.subject for e in await store.list_audit(kind="kill_switch")] == ["off", "on"]
        # The hot path's tables are untouched: messages and their dedupe window still work.
        assert await store.get_message("facebook:o0003") is not None
        # And the store keeps working: CAS on a migrated record, new records beside old ones.
        assert await store.cas_record(
            "case", "C-264292F4", expected_version=1, data={**sample.data, "status": "closed"}
        )
        assert (await store.get_record("case", "C-264292F4")).version == 2  # type: ignore[union-attr]
    finally:
        await store.close()

    conn = sqlite3.connect(path)
    try:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_version")]
        assert versions == list(range(1, current_version() + 1))  # every step ran, once
        assert conn.execute("SELECT COUNT(*) FROM records WHERE created_at IS NULL").fetchone()[0] == 0
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "outbox_message" in indexes  # migration 5: a batch's queued replies in one look-up
    finally:
        conn.close()
    after = _legacy_counts(path)
    assert after == before  # nothing lost, nothing duplicated

    reopened = SqliteStore(path)  # a second open finds nothing to migrate
    await reopened.open()
    try:
        assert await reopened.count_records("case") == 97
    finally:
        await reopened.close()


async def test_a_database_before_the_priority_column_gets_it_filled(tmp_path: Path) -> None:
    path = tmp_path / "centinela.sqlite3"
    store = SqliteStore(path)
    await store.open()
    try:
        await store.put_record("case", "C-1", {"status": "open", "priority": "urgent"})
        await store.put_record("case", "C-2", {"status": "open", "priority": "low"})
        await store.put_record("echo", "e1", {"text": 'said "priority":"urgent" in a quote'})
    finally:
        await store.close()
    # as migration 3 left it: no priority in the column
    _rewind(path, "UPDATE records SET priority = NULL", "DELETE FROM schema_version WHERE version = 4")
    migrated = SqliteStore(path)
    await migrated.open()
    try:
        urgent = await migrated.records.query_records(RecordFilter("case", priority="urgent"))
        assert [r.id for r in urgent.items] == ["C-1"]
        low = await migrated.records.query_records(RecordFilter("case", priority="low"))
        assert [r.id for r in low.items] == ["C-2"]
    finally:
        await migrated.close()


async def test_a_database_before_the_outbox_message_index_gets_it(tmp_path: Path) -> None:
    path = tmp_path / "centinela.sqlite3"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    # as migration 4 left it: no index on outbox.message_key
    _rewind(path, "DROP INDEX outbox_message", "DELETE FROM schema_version WHERE version = 5")
    migrated = SqliteStore(path)
    await migrated.open()
    await migrated.close()
    conn = sqlite3.connect(path)
    try:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT key FROM outbox WHERE message_key IN ('twitter:1', 'twitter:2')"
        ).fetchall()
        assert any("outbox_message" in str(row) for row in plan)  # an index look-up, not a scan
    finally:
        conn.close()


def _rewind(path: Path, *statements: str) -> None:
    """Put the file back as an earlier migration left it."""
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
