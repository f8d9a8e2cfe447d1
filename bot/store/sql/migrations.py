"""Schema migrations: a small versioned runner, run by every process at start-up.

Why not Alembic: the embedded default must migrate on open, with no CLI step, through the hot
path's own SQLite thread (which Alembic's engine-based environment cannot use), and the job is
small: a numbered list of idempotent steps and a `schema_version` table saying which have run.
On PostgreSQL each DDL transaction first takes an advisory lock, so two replicas starting at
once migrate one after the other; every step is idempotent, so the second finds nothing to do.

Version 1 upgrades the layout of the SQLite store before records moved here (the tables
`records`, `decisions`, `outbox`, `audit` with a JSON `body`) in place: missing columns are
added and filled from each row's JSON, a legacy record's body (the whole record) becomes its
data, and the indexes are created. On an empty database it simply creates the tables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, literal, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from bot.store.sql import rows
from bot.store.sql.schema import (
    RECORD_TABLES,
    STAT_TABLES,
    audit,
    decisions,
    minute_counts,
    outbox,
    records,
    schema_version,
    stat_minutes,
)
from bot.store.sql.statements import dialect_insert

if TYPE_CHECKING:
    from bot.store.sql.executor import SqlExecutor


LOCK_ID = 730_309  # pg_advisory_xact_lock key for migrations
BACKFILL_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    note: str
    apply: Callable[[SqlExecutor], Awaitable[None]]


def _dialect(executor: SqlExecutor) -> Dialect:
    """Dialect objects only to compile DDL text (no connection)."""
    if executor.dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import asyncpg

        return asyncpg.dialect()  # type: ignore[no-untyped-call]
    from sqlalchemy.dialects.sqlite import pysqlite

    return pysqlite.dialect()


async def _ddl(executor: SqlExecutor, statements: list[str]) -> None:
    if executor.dialect_name == "postgresql":
        statements = [f"SELECT pg_advisory_xact_lock({LOCK_ID})", *statements]
    await executor.ddl(statements)


async def _create_or_extend(executor: SqlExecutor, table: Table) -> bool:
    """Create the table, or add the columns an older layout lacks; True if it existed."""
    dialect = _dialect(executor)
    present = await executor.columns(table.name)
    if not present:
        await _ddl(executor, [str(CreateTable(table, if_not_exists=True).compile(dialect=dialect))])
        return False
    quote = dialect.identifier_preparer.quote
    adds = [
        f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(c.name)} {c.type.compile(dialect=dialect)}"
        for c in table.columns
        if c.name not in present
    ]
    if adds:
        await _ddl(executor, adds)
    return True


async def _backfill_records(executor: SqlExecutor) -> None:
    """Legacy rows (no `created_at`) held the whole record as JSON: split it into columns."""
    legacy = select(records.c.kind, records.c.id, records.c.body).where(records.c.created_at.is_(None))
    fill = (
        update(records)
        .where(records.c.kind == _p("k"), records.c.id == _p("i"))
        .values(
            body=_p("body"),
            version=_p("version"),
            created_at=_p("created"),
            updated_at=_p("updated"),
            status=_p("status"),
            customer=_p("customer"),
            channel=_p("channel"),
            key=_p("rkey"),
        )
    )
    while found := await executor.fetch(legacy.limit(BACKFILL_CHUNK)):
        params: list[dict[str, Any]] = []
        for kind, rid, body in found:
            whole = json.loads(body)
            data = whole.get("data", {}) if isinstance(whole, dict) and "data" in whole else whole
            columns = rows.record_columns(data)
            created = _when(whole.get("created_at")) if isinstance(whole, dict) else None
            updated = _when(whole.get("updated_at")) if isinstance(whole, dict) else None
            params.append(
                {
                    "k": kind,
                    "i": rid,
                    "body": rows.record_json(data),
                    "version": int(whole.get("version", 1)) if isinstance(whole, dict) else 1,
                    "created": created or updated or time.time(),
                    "updated": updated or created or time.time(),
                    **{k: v for k, v in columns.items() if k not in ("key", "priority")},
                    "rkey": columns["key"],
                }
            )
        await executor.batch([(fill, params)], rowcounts=False)


async def _backfill_json_columns(
    executor: SqlExecutor, table: Table, marker: str, pick: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    key = table.c.id if table is audit else table.c.key
    legacy = select(key, table.c.body).where(table.c[marker].is_(None))
    fill = update(table).where(key == _p("pk")).values({name: _p(name) for name in pick({})})
    while found := await executor.fetch(legacy.limit(BACKFILL_CHUNK)):
        params = [{"pk": pk, **pick(json.loads(body))} for pk, body in found]
        # A row with nothing to fill gets "" so the loop moves past it.
        for p in params:
            if p[marker] is None:
                p[marker] = ""
        await executor.batch([(fill, params)], rowcounts=False)


def _p(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def _when(value: Any) -> float | None:
    from datetime import datetime

    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


async def _v1(executor: SqlExecutor) -> None:
    existed = {t.name: await _create_or_extend(executor, t) for t in RECORD_TABLES}
    dialect = _dialect(executor)
    indexes = [
        str(CreateIndex(i, if_not_exists=True).compile(dialect=dialect))
        for t in RECORD_TABLES
        for i in t.indexes
    ]
    # main's (kind, updated_at) index served only the newest-first scans that queries replaced.
    await _ddl(executor, ["DROP INDEX IF EXISTS records_updated", *indexes])
    if existed["records"]:
        await _backfill_records(executor)
    if existed["decisions"]:
        await _backfill_json_columns(
            executor,
            decisions,
            "channel",
            lambda d: {"channel": rows.channel_of_key(str(d.get("message_key", "")))},
        )
    if existed["outbox"]:
        await _backfill_json_columns(
            executor,
            outbox,
            "channel",
            lambda d: {"channel": d.get("channel"), "message_key": d.get("message_key")},
        )
    if existed["audit"]:
        await _backfill_json_columns(
            executor, audit, "subject", lambda d: {"subject": d.get("subject"), "actor": d.get("actor")}
        )


async def _v2(executor: SqlExecutor) -> None:
    """The outbox's in-flight mark (`attempt_started_at`) gets its own column, filled from the
    JSON body of rows that carry it (an item a crashed publisher left marked stays marked)."""
    await _create_or_extend(executor, outbox)
    marked = select(outbox.c.key, outbox.c.body).where(
        outbox.c.attempt_started_at.is_(None), outbox.c.body.like('%"attempt_started_at":"%')
    )
    fill = update(outbox).where(outbox.c.key == _p("pk")).values(attempt_started_at=_p("at"))
    found = await executor.fetch(marked)
    params = [{"pk": pk, "at": _when(json.loads(body).get("attempt_started_at"))} for pk, body in found]
    if params:
        await executor.batch([(fill, params)], rowcounts=False)


async def _v3(executor: SqlExecutor) -> None:
    """The dashboard's aggregates. A database that already has decisions keeps its history:
    `minute_counts` (by decision minute, channel, action, sentiment) seeds `stat_minutes`, with
    language, topic and region unknown (""), once, when the table is first created."""
    created = {t.name: not await _create_or_extend(executor, t) for t in STAT_TABLES}
    dialect = _dialect(executor)
    await _ddl(
        executor,
        [
            str(CreateIndex(i, if_not_exists=True).compile(dialect=dialect))
            for t in STAT_TABLES
            for i in t.indexes
        ],
    )
    if created[stat_minutes.name]:
        m = minute_counts.c
        seed = stat_minutes.insert().from_select(
            [c.name for c in stat_minutes.columns],
            select(
                m.minute, m.channel, literal(""), literal(""), literal(""), m.action, m.sentiment, m.count
            ),
        )
        await executor.batch([(seed, [{}])], rowcounts=False)


async def _v4(executor: SqlExecutor) -> None:
    """`records.priority`, indexed, so the case list filters by priority in the database. Rows
    that carry a priority in their JSON body get it; a row whose body only mentions the word
    (not a top-level string) gets "" so the fill moves past it."""
    await _create_or_extend(executor, records)
    await _create_index(executor, records, "records_priority")
    legacy = select(records.c.kind, records.c.id, records.c.body).where(
        records.c.priority.is_(None), records.c.body.like('%"priority":"%')
    )
    fill = update(records).where(records.c.kind == _p("k"), records.c.id == _p("i"))
    fill = fill.values(priority=_p("priority"))
    while found := await executor.fetch(legacy.limit(BACKFILL_CHUNK)):
        params = [
            {"k": kind, "i": rid, "priority": rows.record_columns(json.loads(body))["priority"] or ""}
            for kind, rid, body in found
        ]
        await executor.batch([(fill, params)], rowcounts=False)


async def _v5(executor: SqlExecutor) -> None:
    """An index on `outbox.message_key`: a claimed batch asks which replies its messages already
    queued in one look-up instead of one per reply. Nothing to fill: the column is."""
    await _create_index(executor, outbox, "outbox_message")


async def _create_index(executor: SqlExecutor, table: Table, name: str) -> None:
    """The schema's index `name` of `table`, if it is not there yet."""
    dialect = _dialect(executor)
    made = [
        str(CreateIndex(i, if_not_exists=True).compile(dialect=dialect))
        for i in table.indexes
        if i.name == name
    ]
    await _ddl(executor, made)


MIGRATIONS: list[Migration] = [
    Migration(1, "records with indexed columns; upgrades the pre-split SQLite layout in place", _v1),
    Migration(2, "outbox.attempt_started_at: the publisher's in-flight mark as a column", _v2),
    Migration(3, "stat_minutes and author_days: the dashboard's aggregates", _v3),
    Migration(4, "records.priority: the case list's priority filter as an indexed column", _v4),
    Migration(5, "outbox.message_key indexed: a batch's queued replies in one look-up", _v5),
]


async def migrate(executor: SqlExecutor) -> list[int]:
    """Run the migrations this database has not had; returns the versions applied now."""
    dialect = _dialect(executor)
    await _ddl(executor, [str(CreateTable(schema_version, if_not_exists=True).compile(dialect=dialect))])
    done = {int(v) for (v,) in await executor.fetch(select(schema_version.c.version))}
    applied: list[int] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        await migration.apply(executor)
        mark = dialect_insert(executor.dialect_name, schema_version)
        mark = mark.values(version=migration.version, applied_at=time.time(), note=migration.note)
        await executor.batch([(mark.on_conflict_do_nothing(), [{}])])
        applied.append(migration.version)
    return applied


def current_version() -> int:
    return MIGRATIONS[-1].version
