"""The records store's fixed statements, built once per dialect.

Why built once: the embedded executor compiles each statement object once and reuses the SQL
text, and SQLAlchemy's own compiled cache keys on them on PostgreSQL. Upserts use each
dialect's `INSERT ... ON CONFLICT` construct (the one place the dialects differ); the outbox
lease is `UPDATE ... WHERE key IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`, which SQLite
runs without the locking clause (one writer, nothing to skip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.sql import Executable

from bot.store.sql.schema import STAT_TABLES, audit, decisions, minute_counts, outbox, records

RECORD_COLUMNS = (
    records.c.kind,
    records.c.id,
    records.c.version,
    records.c.created_at,
    records.c.updated_at,
    records.c.body,
)


@dataclass(frozen=True, slots=True)
class Statements:
    save_decision: Executable
    bump_minute: Executable
    get_decision: Executable
    add_outbox: Executable
    lease_outbox: Executable
    due_outbox: Executable
    update_outbox: Executable
    get_outbox: Executable
    outbox_counts: Executable
    append_audit: Executable
    upsert_record: Executable
    insert_record: Executable
    cas_record: Executable
    get_record: Executable
    recent_records: Executable
    ping: Executable
    clear: tuple[Executable, ...]


def dialect_insert(dialect: str, table: Any) -> Any:
    """The dialect's INSERT with ON CONFLICT (imported when needed: the embedded service never
    loads the PostgreSQL dialect)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def build_statements(dialect: str) -> Statements:
    up_decision = dialect_insert(dialect, decisions).values(
        key=bindparam("key"),
        action=bindparam("action"),
        decided_at=bindparam("decided_at"),
        body=bindparam("body"),
        channel=bindparam("channel"),
    )
    up_decision = up_decision.on_conflict_do_update(
        index_elements=[decisions.c.key],
        set_={
            "action": up_decision.excluded.action,
            "decided_at": up_decision.excluded.decided_at,
            "body": up_decision.excluded.body,
            "channel": up_decision.excluded.channel,
        },
    )
    bump = dialect_insert(dialect, minute_counts).values(
        minute=bindparam("minute"),
        channel=bindparam("channel"),
        action=bindparam("action"),
        sentiment=bindparam("sentiment"),
        count=bindparam("n"),
    )
    bump = bump.on_conflict_do_update(
        index_elements=[
            minute_counts.c.minute,
            minute_counts.c.channel,
            minute_counts.c.action,
            minute_counts.c.sentiment,
        ],
        set_={"count": minute_counts.c.count + bump.excluded.count},
    )
    add_outbox = (
        dialect_insert(dialect, outbox)
        .values(
            key=bindparam("key"),
            status=bindparam("status"),
            next_attempt_at=bindparam("next_attempt_at"),
            created_at=bindparam("created_at"),
            body=bindparam("body"),
            channel=bindparam("channel"),
            message_key=bindparam("message_key"),
            attempt_started_at=bindparam("attempt_started_at"),
        )
        .on_conflict_do_nothing(index_elements=[outbox.c.key])
    )
    due = (
        select(outbox.c.key)
        .where(
            outbox.c.status == "pending",
            outbox.c.next_attempt_at <= bindparam("now"),
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= bindparam("now")),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.created_at)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    lease = (
        update(outbox)
        .where(outbox.c.key.in_(due.scalar_subquery()))
        .values(lease_until=bindparam("until"), lease_owner=bindparam("owner"))
        .returning(outbox.c.next_attempt_at, outbox.c.created_at, outbox.c.body)
    )
    record_values = {
        "kind": bindparam("kind"),
        "id": bindparam("id"),
        "version": 1,
        "created_at": bindparam("now"),
        "updated_at": bindparam("now"),
        "body": bindparam("body"),
        "status": bindparam("status"),
        "customer": bindparam("customer"),
        "channel": bindparam("channel"),
        "key": bindparam("rkey"),
        "priority": bindparam("priority"),
    }
    upsert = dialect_insert(dialect, records).values(**record_values)
    upsert = upsert.on_conflict_do_update(
        index_elements=[records.c.kind, records.c.id],
        set_={
            "version": records.c.version + 1,
            "updated_at": upsert.excluded.updated_at,
            "body": upsert.excluded.body,
            "status": upsert.excluded.status,
            "customer": upsert.excluded.customer,
            "channel": upsert.excluded.channel,
            "key": upsert.excluded.key,
            "priority": upsert.excluded.priority,
        },
    )
    insert_new = (
        dialect_insert(dialect, records)
        .values(**record_values)
        .on_conflict_do_nothing(index_elements=[records.c.kind, records.c.id])
    )
    cas = (
        update(records)
        .where(
            records.c.kind == bindparam("w_kind"),
            records.c.id == bindparam("w_id"),
            records.c.version == bindparam("expected"),
        )
        .values(
            version=records.c.version + 1,
            updated_at=bindparam("now"),
            body=bindparam("body"),
            status=bindparam("status"),
            customer=bindparam("customer"),
            channel=bindparam("channel"),
            key=bindparam("rkey"),
            priority=bindparam("priority"),
        )
    )
    recent: Select[Any] = (
        select(*RECORD_COLUMNS)
        .where(records.c.kind == bindparam("kind"))
        .order_by(records.c.updated_at.desc(), records.c.id.desc())
        .limit(bindparam("limit"))
    )
    return Statements(
        save_decision=up_decision,
        bump_minute=bump,
        get_decision=select(decisions.c.body).where(decisions.c.key == bindparam("key")),
        add_outbox=add_outbox,
        lease_outbox=lease,
        due_outbox=select(outbox.c.body)
        .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= bindparam("now"))
        .order_by(outbox.c.next_attempt_at, outbox.c.created_at)
        .limit(bindparam("limit")),
        update_outbox=update(outbox)
        .where(outbox.c.key == bindparam("k"))
        .values(
            status=bindparam("status"),
            next_attempt_at=bindparam("next_attempt_at"),
            body=bindparam("body"),
            attempt_started_at=bindparam("attempt_started_at"),
            lease_until=None,
            lease_owner=None,
        ),
        get_outbox=select(outbox.c.body).where(outbox.c.key == bindparam("key")),
        outbox_counts=select(outbox.c.status, func.count()).group_by(outbox.c.status),
        append_audit=insert(audit).values(
            kind=bindparam("kind"),
            at=bindparam("at"),
            body=bindparam("body"),
            subject=bindparam("subject"),
            actor=bindparam("actor"),
        ),
        upsert_record=upsert,
        insert_record=insert_new,
        cas_record=cas,
        get_record=select(*RECORD_COLUMNS).where(
            and_(records.c.kind == bindparam("kind"), records.c.id == bindparam("id"))
        ),
        recent_records=recent,
        ping=select(1),
        clear=tuple(delete(t) for t in (records, decisions, outbox, audit, minute_counts, *STAT_TABLES)),
    )
