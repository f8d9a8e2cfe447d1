"""`SqlRecordStore`: the `RecordStore` on SQLite or PostgreSQL, through SQLAlchemy Core.

Every operation is one statement or one batch in one transaction, so correctness never rests on
a read-then-write in Python: idempotency is the primary key (`ON CONFLICT DO NOTHING`), an
overwrite bumps the version in SQL, compare-and-set is `UPDATE ... WHERE version = :expected`,
and the outbox lease is a single `UPDATE ... RETURNING` over `FOR UPDATE SKIP LOCKED` rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, select, update

from bot.core.customers import identity_id
from bot.core.models import OUTBOX_STATUSES, AuditEvent, Decision, OutboxItem, Record, utc_now
from bot.store.base import StoreUnavailable
from bot.store.records import Filters, MinuteCount, Page, RecordFilter, RecordSwap, RecordWrite
from bot.store.sql import pages, rows, stats
from bot.store.sql.group_commit import Op, RowsUnchanged
from bot.store.sql.in_lists import InLookup
from bot.store.sql.migrations import migrate
from bot.store.sql.schema import author_days, minute_counts, outbox, records
from bot.store.sql.schema import decisions as decisions_table
from bot.store.sql.statements import RECORD_COLUMNS, build_statements
from bot.store.stats import UTC_ZONE, AuthorStat, Dimension, StatCount, StatFilter

if TYPE_CHECKING:
    from bot.store.sql.executor import SqlExecutor


class SqlRecordStore:
    """Records in one SQL schema; `describe` names the backend in start-up errors."""

    def __init__(
        self, executor: SqlExecutor, *, describe: str = "records database", day_zone: ZoneInfo = UTC_ZONE
    ) -> None:
        self.executor = executor
        self.describe = describe
        self.day_zone = day_zone  # the dashboard's zone: local days kept in `stat_days`
        self._sql = build_statements(executor.dialect_name)
        self._stats = stats.build_stat_statements(executor.dialect_name)
        kind = records.c.kind == bindparam("kind")
        self._by_id = InLookup(
            lambda ids: select(records.c.id, *RECORD_COLUMNS).where(kind, records.c.id.in_(ids))
        )
        self._by_key = InLookup(
            lambda keys: select(records.c.key, *RECORD_COLUMNS).where(kind, records.c.key.in_(keys))
        )
        body, key = decisions_table.c.body, decisions_table.c.key
        self._decisions_in = InLookup(lambda keys: select(body).where(key.in_(keys)))
        self._outbox_of = InLookup(lambda keys: select(outbox.c.key).where(outbox.c.message_key.in_(keys)))

    async def open(self) -> None:
        try:
            await self.executor.open()
            await migrate(self.executor)
            await stats.backfill_days(self.executor, self.day_zone)
        except StoreUnavailable:
            raise
        except Exception as exc:
            await self.executor.close()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailable(f"cannot open the {self.describe}: {reason}") from exc

    async def close(self) -> None:
        await self.executor.close()

    async def ping(self) -> bool:
        try:
            return bool(await self.executor.fetch(self._sql.ping))
        except Exception:
            return False

    async def clear(self) -> None:
        await self.executor.batch([(stmt, [{}]) for stmt in self._sql.clear])

    async def discard(self) -> None:
        schema = getattr(self.executor, "own_schema", None)
        if schema:
            await self.executor.ddl([f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'])
        else:
            await self.clear()

    # --- decisions ----------------------------------------------------------------------
    async def save_decisions(
        self, decisions: Sequence[Decision], records: Sequence[RecordWrite] = ()
    ) -> None:
        if not decisions:
            await self.put_records(records)
            return
        # A redelivered message overwrites its decision: its earlier one leaves the counts. The
        # look-up of those earlier ones, the counts and the writes are one call to the store
        # (on the embedded store one round trip, at the end of every claimed batch).
        keys = sorted({d.message_key for d in decisions})
        latest = list({d.message_key: d for d in decisions}.values())  # a key twice: the last wins
        fresh = stats.batch_counts(latest, [1] * len(latest), self.day_zone)
        written = [
            *self._record_ops(records),
            (self._sql.save_decision, [rows.decision_row(d) for d in decisions]),
        ]

        def plan(found: list[list[Sequence[Any]]]) -> list[Op]:
            previous = [Decision.model_validate_json(body) for chunk in found for (body,) in chunk]
            counts = fresh
            if previous:  # rare: a redelivery, or a message decided again
                weights = [1] * len(latest) + [-1] * len(previous)
                counts = stats.batch_counts([*latest, *previous], weights, self.day_zone)
            ops = list(written)
            for statement, params in (
                (self._sql.bump_minute, counts.minutes),
                (self._stats.bump_minute, counts.stats),
                (self._stats.bump_author, counts.authors),
                (self._stats.bump_day, counts.days),
            ):
                if params:
                    ops.append((statement, params))
            return ops

        await self.executor.read_then_batch(list(self._decisions_in.chunks(keys)), plan)

    async def get_decision(self, message_key: str) -> Decision | None:
        found = await self.executor.fetch(self._sql.get_decision, {"key": message_key})
        return Decision.model_validate_json(found[0][0]) if found else None

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]:
        values = {"action": action} if action else {}
        return await pages.collect(self.query_decisions, Filters(values), limit)

    async def query_decisions(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Decision]:
        stmt = pages.listing_query(pages.DECISIONS, filters)
        return await pages.run_page(
            self.executor, stmt, pages.DECISIONS.sort, cursor, limit,
            lambda r: Decision.model_validate_json(r[2]), lambda r: [r[0], r[1]],
        )  # fmt: skip

    async def minute_counts(self, since: datetime, until: datetime) -> list[MinuteCount]:
        stmt = (
            select(minute_counts)
            .where(minute_counts.c.minute >= int(since.timestamp() // 60))
            .where(minute_counts.c.minute < int(until.timestamp() // 60))
            .order_by(minute_counts.c.minute, minute_counts.c.channel, minute_counts.c.action)
        )
        return [
            MinuteCount(rows.from_ts(m * 60), c, a, s, int(n))
            for m, c, a, s, n in await self.executor.fetch(stmt)
        ]

    async def stat_counts(
        self,
        since: datetime,
        until: datetime,
        *,
        step_minutes: int,
        group_by: Dimension,
        where: StatFilter,
        starts: Sequence[datetime] | None = None,
        zone: ZoneInfo | None = None,
    ) -> list[StatCount]:
        if starts and zone is not None and zone.key == self.day_zone.key and not where.values():
            return await stats.day_counts(self.executor, zone, starts, group_by)
        return await stats.stat_counts(
            self.executor,
            since,
            until,
            step_minutes=step_minutes,
            group_by=group_by,
            where=where,
            starts=starts,
        )

    async def author_stats(
        self, since: datetime, until: datetime, *, channel: str | None = None
    ) -> list[AuthorStat]:
        return await stats.author_stats(self.executor, since, until, channel=channel)

    # --- outbox -------------------------------------------------------------------------
    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        if not items:
            return []
        (counts,) = await self.executor.batch([(self._sql.add_outbox, [rows.outbox_row(i) for i in items])])
        return [n == 1 for n in counts]

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]:
        found = await self.executor.fetch(self._sql.due_outbox, {"now": now.timestamp(), "limit": limit})
        return [OutboxItem.model_validate_json(body) for (body,) in found]

    async def lease_outbox(
        self, now: datetime, limit: int, *, owner: str, lease_s: float
    ) -> list[OutboxItem]:
        params = {"now": now.timestamp(), "limit": limit, "until": now.timestamp() + lease_s, "owner": owner}
        found = await self.executor.fetch(self._sql.lease_outbox, params)
        found = sorted(found, key=lambda r: (r[0], r[1]))  # RETURNING has no order of its own
        return [OutboxItem.model_validate_json(r[2]) for r in found]

    async def update_outbox(self, item: OutboxItem) -> None:
        await self.executor.batch([(self._sql.update_outbox, [_outbox_update(item)])])

    async def update_outboxes(self, items: Sequence[OutboxItem]) -> None:
        if items:
            ops = [(self._sql.update_outbox, [_outbox_update(i) for i in items])]
            await self.executor.batch(ops, rowcounts=False)

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None:
        found = await self.executor.fetch(self._sql.get_outbox, {"key": idempotency_key})
        return OutboxItem.model_validate_json(found[0][0]) if found else None

    async def outbox_keys_of(self, message_keys: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for stmt, params in self._outbox_of.chunks(message_keys):
            found.update(str(k) for (k,) in await self.executor.fetch(stmt, params))
        return found

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        values = {"status": status} if status else {}
        return await pages.collect(self.query_outbox, Filters(values), limit)

    async def query_outbox(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[OutboxItem]:
        stmt = pages.listing_query(pages.OUTBOX, filters)
        return await pages.run_page(
            self.executor, stmt, pages.OUTBOX.sort, cursor, limit,
            lambda r: OutboxItem.model_validate_json(r[2]), lambda r: [r[0], r[1]],
        )  # fmt: skip

    async def outbox_counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(OUTBOX_STATUSES, 0)
        counts.update({str(s): int(n) for s, n in await self.executor.fetch(self._sql.outbox_counts)})
        return counts

    # --- audit --------------------------------------------------------------------------
    async def append_audit(self, events: Sequence[AuditEvent]) -> None:
        if events:
            await self.executor.batch(
                [(self._sql.append_audit, [rows.audit_row(e) for e in events])], rowcounts=False
            )

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]:
        values = {"kind": kind} if kind else {}
        return await pages.collect(self.query_audit, Filters(values), limit)

    async def query_audit(
        self, filters: Filters, *, cursor: str | None = None, limit: int = 100
    ) -> Page[AuditEvent]:
        stmt = pages.listing_query(pages.AUDIT, filters)
        return await pages.run_page(
            self.executor, stmt, pages.AUDIT.sort, cursor, limit,
            lambda r: AuditEvent.model_validate_json(r[2]), lambda r: [r[1], r[1]],
        )  # fmt: skip

    # --- versioned records --------------------------------------------------------------
    @staticmethod
    def _record_params(kind: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
        columns = rows.record_columns(data)
        return {
            "kind": kind,
            "id": record_id,
            "now": utc_now().timestamp(),
            "body": rows.record_json(data),
            "status": columns["status"],
            "customer": columns["customer"],
            "channel": columns["channel"],
            "rkey": columns["key"],
            "priority": columns["priority"],
        }

    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool:
        stmt = self._sql.insert_record if only_if_absent else self._sql.upsert_record
        (counts,) = await self.executor.batch([(stmt, [self._record_params(kind, record_id, data)])])
        return bool(counts[0]) if only_if_absent else True

    async def get_record(self, kind: str, record_id: str) -> Record | None:
        found = await self.executor.fetch(self._sql.get_record, {"kind": kind, "id": record_id})
        return rows.record_from_row(*found[0]) if found else None

    async def put_records(self, writes: Sequence[RecordWrite]) -> None:
        # One transaction for a whole claimed batch's writes instead of one per record.
        ops = self._record_ops(writes)
        if ops:
            await self.executor.batch(ops, rowcounts=False)

    def _record_ops(self, writes: Sequence[RecordWrite]) -> list[Op]:
        """The inserts-if-absent and the overwrites of `writes`: one statement each, in order."""
        inserts = [self._record_params(w.kind, w.record_id, w.data) for w in writes if w.only_if_absent]
        upserts = [self._record_params(w.kind, w.record_id, w.data) for w in writes if not w.only_if_absent]
        return [
            (stmt, params)
            for stmt, params in ((self._sql.insert_record, inserts), (self._sql.upsert_record, upserts))
            if params
        ]

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        return {r.id: r for _key, r in await self._matching(self._by_id, kind, record_ids)}

    async def records_by_key(self, kind: str, keys: Sequence[str]) -> dict[str, list[Record]]:
        found: dict[str, list[Record]] = {}
        for key, record in await self._matching(self._by_key, kind, keys):
            found.setdefault(key, []).append(record)
        return found

    async def _matching(self, lookup: InLookup, kind: str, values: Sequence[str]) -> list[tuple[str, Record]]:
        """Records of `kind` whose looked-up column is one of `values`, each with that value."""
        found: dict[tuple[str, str], tuple[str, Record]] = {}
        for stmt, params in lookup.chunks(values, {"kind": kind}):
            for value, *row in await self.executor.fetch(stmt, params):
                found[(row[0], row[1])] = (value, rows.record_from_row(*row))
        return list(found.values())

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        params = self._record_params(kind, record_id, data)
        if expected_version == 0:
            (counts,) = await self.executor.batch([(self._sql.insert_record, [params])])
        else:
            (counts,) = await self.executor.batch(
                [
                    (
                        self._sql.cas_record,
                        [{**params, "w_kind": kind, "w_id": record_id, "expected": expected_version}],
                    )
                ]
            )
        return counts[0] == 1

    async def cas_records(self, swaps: Sequence[RecordSwap]) -> bool:
        # Inserts-if-absent for the records expected absent, `UPDATE ... WHERE version` for the
        # others, in one all-or-nothing batch: a row that changes nothing rolls the batch back.
        inserts = [self._record_params(s.kind, s.record_id, s.data) for s in swaps if not s.expected_version]
        updates = [
            {
                **self._record_params(s.kind, s.record_id, s.data),
                "w_kind": s.kind,
                "w_id": s.record_id,
                "expected": s.expected_version,
            }
            for s in swaps
            if s.expected_version
        ]
        ops = [
            (stmt, params)
            for stmt, params in ((self._sql.insert_record, inserts), (self._sql.cas_record, updates))
            if params
        ]
        if not ops:
            return True
        try:
            await self.executor.batch(ops, exact=True)
        except RowsUnchanged:
            return False
        return True

    async def delete_record(self, kind: str, record_id: str) -> bool:
        stmt = delete(records).where(records.c.kind == bindparam("d_kind"), records.c.id == bindparam("d_id"))
        (counts,) = await self.executor.batch([(stmt, [{"d_kind": kind, "d_id": record_id}])])
        return bool(counts[0])

    async def forget_author(self, channel: str, handle: str, replacement: str) -> int:
        # Decisions keep the author only inside their JSON body: the channel's decisions are read
        # (an indexed range) and the author's rewritten. Erasures are rare and run off the
        # pipeline, so a read of one channel's decisions is the price of not indexing handles.
        who = identity_id(channel, handle)
        d, a = decisions_table.c, author_days.c
        found = await self.executor.fetch(select(d.key, d.body).where(d.channel == channel))
        changed = []
        for key, body in found:
            data = json.loads(body)
            if isinstance(data.get("author"), str) and identity_id(channel, data["author"]) == who:
                changed.append({"f_key": key, "f_body": json.dumps({**data, "author": replacement})})
        days = await self.executor.fetch(select(a.day, a.author).where(a.channel == channel))
        gone = [
            {"a_day": day, "a_author": author} for day, author in days if identity_id(channel, author) == who
        ]
        ops: list[tuple[Any, list[dict[str, Any]]]] = []
        if changed:
            rewrite = (
                update(decisions_table).where(d.key == bindparam("f_key")).values(body=bindparam("f_body"))
            )
            ops.append((rewrite, changed))
        if gone:
            drop = delete(author_days).where(
                a.channel == channel, a.day == bindparam("a_day"), a.author == bindparam("a_author")
            )
            ops.append((drop, gone))
        if ops:
            await self.executor.batch(ops)
        return len(changed)

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        found = await self.executor.fetch(self._sql.recent_records, {"kind": kind, "limit": max(1, limit)})
        return [rows.record_from_row(*r) for r in found]

    async def query_records(
        self, where: RecordFilter, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Record]:
        return await pages.run_page(
            self.executor, pages.records_query(where), (records.c.created_at, records.c.id), cursor, limit,
            lambda r: rows.record_from_row(*r), lambda r: [r[3], r[1]],
        )  # fmt: skip

    async def count_records(self, kind: str, *, status: str | None = None) -> int:
        stmt = select(func.count()).select_from(records).where(records.c.kind == kind)
        if status is not None:
            stmt = stmt.where(records.c.status == status)
        return int((await self.executor.fetch(stmt))[0][0])


def _outbox_update(item: OutboxItem) -> dict[str, Any]:
    """The parameters of `update_outbox` for `item`'s new state."""
    row = rows.outbox_row(item)
    params = {"k": row["key"], "status": row["status"], "next_attempt_at": row["next_attempt_at"]}
    return params | {"body": row["body"], "attempt_started_at": row["attempt_started_at"]}
