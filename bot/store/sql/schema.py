"""The records schema: one SQLAlchemy Core description for SQLite and PostgreSQL.

Why these shapes: each table keeps the whole object as JSON text in `body` (so adding a field
never needs a migration) beside the columns queries filter and sort on, each of them indexed
with the sort key last, so a filtered page is an index range scan on both engines. Times are
epoch seconds as double precision: comparable, exact through JSON cursors, and the same on both
engines. The table and column names extend the ones today's SQLite store used, which is what lets
a migration upgrade an existing file in place (`bot/store/sql/migrations.py`).
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# The versioned records: cases, incidents, alerts, drafts, agent-queue entries, customers and
# identities, campaigns and steps, echoes. `body` is the record's `data`; the indexed columns
# are filled from it on every write (`bot/store/sql/rows.py`).
records = Table(
    "records",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("id", String(256), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float),
    Column("status", String(64)),
    Column("customer", String(256)),
    Column("channel", String(32)),
    Column("key", String(512)),
    # A case's (or any record's) `priority`, so the case list filters on it in an index.
    Column("priority", String(16)),
)
# Partial indexes: a record without the column (most echoes have none) costs no index write.
for _name, _column in (
    ("records_status", records.c.status),
    ("records_customer", records.c.customer),
    ("records_channel", records.c.channel),
    ("records_priority", records.c.priority),
):
    Index(
        _name,
        records.c.kind,
        _column,
        records.c.created_at,
        records.c.id,
        sqlite_where=_column.isnot(None),
        postgresql_where=_column.isnot(None),
    )
Index("records_created", records.c.kind, records.c.created_at, records.c.id)
Index(
    "records_key",
    records.c.kind,
    records.c.key,
    sqlite_where=records.c.key.isnot(None),
    postgresql_where=records.c.key.isnot(None),
)

# One decision per message key (a redelivered message overwrites its decision).
decisions = Table(
    "decisions",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("action", String(32), nullable=False),
    Column("decided_at", Float, nullable=False),
    Column("body", Text, nullable=False),
    Column("channel", String(32)),
)
Index("decisions_time", decisions.c.decided_at)
Index("decisions_action", decisions.c.action, decisions.c.decided_at, decisions.c.key)
Index("decisions_channel", decisions.c.channel, decisions.c.decided_at, decisions.c.key)

# The outbox: the idempotency key is the primary key, so an effect is queued once whatever the
# number of replicas; `lease_until` lets several publishers share it (FOR UPDATE SKIP LOCKED).
outbox = Table(
    "outbox",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("body", Text, nullable=False),
    Column("channel", String(32)),
    Column("message_key", String(512)),
    Column("lease_until", Float),
    Column("lease_owner", String(128)),
    # Set while a send is in flight (migration 2): still set after the lease means the outcome
    # was never recorded, and the item goes to a person (`needs_review`), never a blind resend.
    Column("attempt_started_at", Float),
)
Index("outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("outbox_created", outbox.c.created_at, outbox.c.key)
Index("outbox_status", outbox.c.status, outbox.c.created_at, outbox.c.key)
# A claimed batch asks which replies its messages already queued (a redelivery), in one look-up
# (migration 5); items of no message (notifications) cost no index write.
Index(
    "outbox_message",
    outbox.c.message_key,
    sqlite_where=outbox.c.message_key.isnot(None),
    postgresql_where=outbox.c.message_key.isnot(None),
)

# Append-only audit log; the autoincrement id is its order and its cursor.
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("body", Text, nullable=False),
    Column("subject", String(512)),
    Column("actor", String(256)),
)
Index("audit_kind", audit.c.kind, audit.c.id)
Index("audit_at", audit.c.at)

# Per-minute decision counts for the dashboard, kept up to date by `save_decisions`.
minute_counts = Table(
    "minute_counts",
    metadata,
    Column("minute", Integer, primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("action", String(32), primary_key=True),
    Column("sentiment", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Which migrations have run (`bot/store/sql/migrations.py`).
schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", Float, nullable=False),
    Column("note", Text, nullable=False),
)

RECORD_TABLES = (records, decisions, outbox, audit, minute_counts)

# The dashboard's aggregates (migration 3), written by `save_decisions` in the decisions'
# transaction, so the dashboard never scans messages: decisions per minute of the message's own
# time, cut by every dimension the dashboard filters or groups on. The key starts with `minute`,
# so a time range is a primary-key range scan on both engines.
stat_minutes = Table(
    "stat_minutes",
    metadata,
    Column("minute", Integer, primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("topic", String(64), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("action", String(32), primary_key=True),
    Column("sentiment", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Messages per author and UTC day (the People view: reach, repeat complainers, advocates).
author_days = Table(
    "author_days",
    metadata,
    Column("day", Integer, primary_key=True),
    Column("author", String(256), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("messages", Integer, nullable=False),
    Column("positive", Integer, nullable=False),
    Column("negative", Integer, nullable=False),
    Column("reach", Integer, nullable=False),
)

# Day totals per dimension in the dashboard's time zone (local days): the 30-day view reads at
# most days x values x actions x sentiments rows instead of every minute's. One dimension per
# row (no cross combinations), so only unfiltered views use it; `zone` says which local days.
stat_days = Table(
    "stat_days",
    metadata,
    Column("zone", String(64), primary_key=True),
    Column("day", Integer, primary_key=True),  # the local date's ordinal (date.toordinal())
    Column("dimension", String(16), primary_key=True),
    Column("value", String(64), primary_key=True),
    Column("action", String(32), primary_key=True),
    Column("sentiment", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

STAT_TABLES = (stat_minutes, author_days, stat_days)
