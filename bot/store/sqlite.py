"""SQLite store: the embedded default, one file under the data directory.

Why this shape: SQLite connections must stay on one thread, and every call blocks, so all work
runs on a single dedicated worker thread behind `_run` and the event loop never waits on disk.
WAL mode lets readers proceed during writes. Intake commits with `synchronous=FULL` (the
message is on disk before the webhook answers 202); other writes use `NORMAL`, which in WAL
mode survives a process crash and can lose only the last commits on power loss, all of which
are re-derived from the durable intake by redelivery.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.core.models import (
    OUTBOX_STATUSES,
    AuditEvent,
    Claim,
    DeadLetter,
    Decision,
    InboundMessage,
    OutboxItem,
    Record,
    utc_now,
)
from bot.store.base import DeadLetterUnloadable, StoreSettings, StoreUnavailable
from bot.store.letters import UnloadableMessage, load_message, read_dead_letter, unloadable_letter
from bot.store.sqlite_runner import GroupCommitRunner

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (key TEXT PRIMARY KEY, body TEXT NOT NULL, seen_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, available_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, consumer TEXT, token TEXT);
CREATE INDEX IF NOT EXISTS queue_available ON queue (available_at);
CREATE INDEX IF NOT EXISTS queue_consumer ON queue (consumer);
CREATE INDEX IF NOT EXISTS queue_token ON queue (token);
CREATE TABLE IF NOT EXISTS dead_letters (key TEXT PRIMARY KEY, body TEXT NOT NULL, failed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
  key TEXT PRIMARY KEY, action TEXT NOT NULL, decided_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions (decided_at);
CREATE TABLE IF NOT EXISTS outbox (
  key TEXT PRIMARY KEY, status TEXT NOT NULL, next_attempt_at REAL NOT NULL,
  created_at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS reservations (key TEXT PRIMARY KEY, until REAL NOT NULL, owner TEXT);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, updated_at REAL NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS records_updated ON records (kind, updated_at);
"""

_CLAIM_COLUMNS = "SELECT q.seq, q.key, q.attempts, m.body FROM queue q JOIN messages m ON m.key = q.key "
_CLAIM_OWN = _CLAIM_COLUMNS + "WHERE q.consumer = ? ORDER BY q.seq LIMIT ?"
_CLAIM_DUE = _CLAIM_COLUMNS + "WHERE q.available_at <= ? AND q.consumer IS NOT ? ORDER BY q.seq LIMIT ?"


class SqliteStore:
    """`Store` on one SQLite file; safe for many asyncio workers in one process."""

    def __init__(self, path: Path, settings: StoreSettings | None = None) -> None:
        self.path = path
        self.settings = settings or StoreSettings()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None
        self._runner: GroupCommitRunner | None = None

    # --- plumbing -----------------------------------------------------------------------
    async def _run(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, read: bool = False
    ) -> T:
        runner = self._runner
        if runner is None:
            raise StoreUnavailable("SQLite store is not open")
        return await runner.run(fn, durable=durable, read=read)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A call that only reads: it joins the next group without a savepoint of its own."""
        return await self._run(fn, read=True)

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            conn.executescript(SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(reservations)")}
            if "owner" not in columns:  # a file from before reservations had owners
                conn.execute("ALTER TABLE reservations ADD COLUMN owner TEXT")
            return conn

        try:
            loop = asyncio.get_running_loop()
            self._conn = await loop.run_in_executor(self._executor, connect)
            self._runner = GroupCommitRunner(self._conn, self._executor)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open SQLite store at {self.path}: {exc}") from exc

    async def close(self) -> None:
        conn, self._conn, self._runner = self._conn, None, None
        if conn is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, conn.close)
        await asyncio.to_thread(self._executor.shutdown, wait=True)

    async def ping(self) -> bool:
        try:
            return await self._read(lambda c: c.execute("SELECT 1").fetchone() is not None)
        except (sqlite3.Error, StoreUnavailable):
            return False

    async def clear(self) -> None:
        tables: tuple[str, ...] = ("messages", "queue", "dead_letters", "decisions", "outbox", "reservations")
        tables += ("counters", "flags", "audit", "records")

        def wipe(c: sqlite3.Connection) -> None:
            for table in tables:
                c.execute(f"DELETE FROM {table}")

        await self._run(wipe)

    # --- intake -------------------------------------------------------------------------
    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        now = time.time()
        window = self.settings.dedupe_window_s
        rows = [(m.key, m.model_dump_json()) for m in messages]

        def insert(c: sqlite3.Connection) -> list[bool]:
            fresh: list[bool] = []
            for key, body in rows:
                seen = c.execute("SELECT seen_until FROM messages WHERE key=?", (key,)).fetchone()
                if seen is not None and seen[0] > now:
                    fresh.append(False)
                    continue
                c.execute("INSERT OR REPLACE INTO messages VALUES (?,?,?)", (key, body, now + window))
                c.execute(
                    "INSERT OR IGNORE INTO queue (key, available_at) VALUES (?, ?)",
                    (key, now),
                )
                fresh.append(True)
            return fresh

        return await self._run(insert, durable=True)

    async def claim(self, consumer: str, count: int) -> list[Claim]:
        now = time.time()
        timeout = self.settings.visibility_timeout_s
        max_attempts = self.settings.max_attempts

        def take(c: sqlite3.Connection) -> list[Claim]:
            # Two indexed reads instead of one OR with a sort over the whole queue: this
            # consumer's unacked entries first (a restart drains them), then the oldest due ones.
            rows = c.execute(_CLAIM_OWN, (consumer, count)).fetchall()
            if len(rows) < count:
                rows += c.execute(_CLAIM_DUE, (now, consumer, count - len(rows))).fetchall()
            claims: list[Claim] = []
            for seq, key, attempts, body in rows:
                try:
                    message = load_message(body)
                except UnloadableMessage as exc:
                    # Caught here, inside the transaction, so the attempt is counted and kept
                    # (raising would roll it back and leave the row blocking the queue for good).
                    _unloadable(c, seq, key, body, attempts + 1, exc.reason, now, self.settings)
                    continue
                if attempts >= max_attempts:
                    _dead_letter(c, key, message, attempts, "not acknowledged within the visibility timeout")
                    continue
                token = uuid.uuid4().hex
                c.execute(
                    "UPDATE queue SET consumer=?, token=?, attempts=attempts+1, available_at=? WHERE seq=?",
                    (consumer, token, now + timeout, seq),
                )
                claims.append(Claim(message=message, delivery_id=token, attempts=attempts + 1))
            return claims

        return await self._run(take)

    async def ack(self, claims: Sequence[Claim]) -> None:
        tokens = [(claim.delivery_id,) for claim in claims]
        await self._run(lambda c: c.executemany("DELETE FROM queue WHERE token=?", tokens))

    async def release(self, claims: Sequence[Claim]) -> None:
        tokens = [(claim.delivery_id,) for claim in claims]
        await self._run(
            lambda c: c.executemany(
                "UPDATE queue SET consumer=NULL, token=NULL, available_at=0, attempts=MAX(attempts-1, 0) "
                "WHERE token=?",
                tokens,
            )
        )

    async def fail(self, claim: Claim, error: str) -> bool:
        retry_at = time.time() + self.settings.retry_backoff_s * (2 ** (claim.attempts - 1))
        max_attempts = self.settings.max_attempts

        def record(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT attempts FROM queue WHERE token=?", (claim.delivery_id,)).fetchone()
            if row is None:
                return False
            if row[0] >= max_attempts:
                _dead_letter(c, claim.message.key, claim.message, row[0], error)
                return True
            c.execute(
                "UPDATE queue SET consumer=NULL, token=NULL, available_at=? WHERE token=?",
                (retry_at, claim.delivery_id),
            )
            return False

        return await self._run(record)

    async def queue_depth(self) -> int:
        return await self._read(lambda c: int(c.execute("SELECT COUNT(*) FROM queue").fetchone()[0]))

    async def oldest_waiting(self) -> float | None:
        # available_at is the enqueue time, the retry time, or the claim's expiry; 0 marks a
        # released claim, taken at once, which says nothing about a stall.
        now = time.time()
        row = await self._read(
            lambda c: c.execute(
                "SELECT MIN(available_at) FROM queue WHERE available_at > 0 AND available_at <= ?", (now,)
            ).fetchone()
        )
        return None if row is None or row[0] is None else float(row[0])

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT key, body FROM dead_letters ORDER BY failed_at DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [read_dead_letter(key, body) for key, body in rows]

    async def requeue_dead_letter(self, message_key: str) -> bool:
        def move(c: sqlite3.Connection) -> bool | None:
            if c.execute("SELECT 1 FROM dead_letters WHERE key=?", (message_key,)).fetchone() is None:
                return False
            row = c.execute("SELECT body FROM messages WHERE key=?", (message_key,)).fetchone()
            try:
                load_message(row[0] if row else "")
            except UnloadableMessage:
                return None  # it would only fail again: refused, the dead letter stays
            c.execute("DELETE FROM dead_letters WHERE key=?", (message_key,))
            c.execute("INSERT OR IGNORE INTO queue (key, available_at) VALUES (?, 0)", (message_key,))
            return True

        moved = await self._run(move)
        if moved is None:
            raise DeadLetterUnloadable(f"the stored message {message_key} cannot be loaded")
        return moved

    async def get_message(self, message_key: str) -> InboundMessage | None:
        row = await self._read(
            lambda c: c.execute("SELECT body FROM messages WHERE key=?", (message_key,)).fetchone()
        )
        return None if row is None else load_message(row[0])

    # --- decisions ----------------------------------------------------------------------
    async def save_decisions(self, decisions: Sequence[Decision]) -> None:
        rows = [(d.message_key, d.action, d.decided_at.timestamp(), d.model_dump_json()) for d in decisions]
        await self._run(lambda c: c.executemany("INSERT OR REPLACE INTO decisions VALUES (?,?,?,?)", rows))

    async def get_decision(self, message_key: str) -> Decision | None:
        row = await self._read(
            lambda c: c.execute("SELECT body FROM decisions WHERE key=?", (message_key,)).fetchone()
        )
        return None if row is None else Decision.model_validate_json(row[0])

    async def list_decisions(self, *, action: str | None = None, limit: int = 100) -> list[Decision]:
        def select(c: sqlite3.Connection) -> list[Any]:
            if action is None:
                sql, args = "SELECT body FROM decisions ORDER BY decided_at DESC LIMIT ?", (limit,)
                return c.execute(sql, args).fetchall()
            sql = "SELECT body FROM decisions WHERE action=? ORDER BY decided_at DESC LIMIT ?"
            return c.execute(sql, (action, limit)).fetchall()

        return [Decision.model_validate_json(body) for (body,) in await self._read(select)]

    # --- outbox -------------------------------------------------------------------------
    async def add_outbox(self, items: Sequence[OutboxItem]) -> list[bool]:
        rows = [_outbox_row(item) for item in items]

        def insert(c: sqlite3.Connection) -> list[bool]:
            return [
                c.execute("INSERT OR IGNORE INTO outbox VALUES (?,?,?,?,?)", row).rowcount == 1
                for row in rows
            ]

        return await self._run(insert)

    async def due_outbox(self, now: datetime, limit: int) -> list[OutboxItem]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT body FROM outbox WHERE status='pending' AND next_attempt_at <= ? "
                "ORDER BY next_attempt_at, created_at LIMIT ?",
                (now.timestamp(), limit),
            ).fetchall()
        )
        return [OutboxItem.model_validate_json(body) for (body,) in rows]

    async def update_outbox(self, item: OutboxItem) -> None:
        row = _outbox_row(item)
        await self._run(
            lambda c: c.execute(
                "UPDATE outbox SET status=?, next_attempt_at=?, body=? WHERE key=?",
                (row[1], row[2], row[4], row[0]),
            )
        )

    async def get_outbox(self, idempotency_key: str) -> OutboxItem | None:
        row = await self._read(
            lambda c: c.execute("SELECT body FROM outbox WHERE key=?", (idempotency_key,)).fetchone()
        )
        return None if row is None else OutboxItem.model_validate_json(row[0])

    async def list_outbox(self, *, status: str | None = None, limit: int = 100) -> list[OutboxItem]:
        def select(c: sqlite3.Connection) -> list[Any]:
            if status is None:
                return c.execute(
                    "SELECT body FROM outbox ORDER BY created_at DESC LIMIT ?", (limit,)
                ).fetchall()
            sql = "SELECT body FROM outbox WHERE status=? ORDER BY created_at DESC LIMIT ?"
            return c.execute(sql, (status, limit)).fetchall()

        return [OutboxItem.model_validate_json(body) for (body,) in await self._read(select)]

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self._read(
            lambda c: c.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
        )
        counts: dict[str, int] = dict.fromkeys(OUTBOX_STATUSES, 0)
        counts.update({status: int(n) for status, n in rows})
        return counts

    # --- reservations, counters and flags -----------------------------------------------
    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        def take(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT until, owner FROM reservations WHERE key=?", (key,)).fetchone()
            if row is not None and row[0] > now.timestamp() and (owner is None or row[1] != owner):
                return False
            c.execute(
                "INSERT OR REPLACE INTO reservations (key, until, owner) VALUES (?, ?, ?)",
                (key, until.timestamp(), owner),
            )
            return True

        return await self._run(take)

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int:
        bucket = int(now.timestamp() // window_s)
        counter_key = f"{key}@{bucket}"
        expires = (bucket + 2) * window_s

        def bump(c: sqlite3.Connection) -> int:
            c.execute(
                "INSERT INTO counters VALUES (?, 1, ?) ON CONFLICT(key) DO UPDATE SET count=count+1",
                (counter_key, expires),
            )
            c.execute("DELETE FROM counters WHERE expires < ?", (now.timestamp() - window_s,))
            return int(c.execute("SELECT count FROM counters WHERE key=?", (counter_key,)).fetchone()[0])

        return await self._run(bump)

    async def get_flag(self, name: str) -> str | None:
        row = await self._read(
            lambda c: c.execute("SELECT value FROM flags WHERE name=?", (name,)).fetchone()
        )
        return None if row is None else str(row[0])

    async def set_flag(self, name: str, value: str | None) -> None:
        if value is None:
            await self._run(lambda c: c.execute("DELETE FROM flags WHERE name=?", (name,)))
        else:
            await self._run(lambda c: c.execute("INSERT OR REPLACE INTO flags VALUES (?, ?)", (name, value)))

    # --- audit --------------------------------------------------------------------------
    async def append_audit(self, events: Sequence[AuditEvent]) -> None:
        rows = [(e.kind, e.at.timestamp(), e.model_dump_json()) for e in events]
        await self._run(lambda c: c.executemany("INSERT INTO audit (kind, at, body) VALUES (?,?,?)", rows))

    async def list_audit(self, *, kind: str | None = None, limit: int = 100) -> list[AuditEvent]:
        def select(c: sqlite3.Connection) -> list[Any]:
            if kind is None:
                return c.execute("SELECT body FROM audit ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
            return c.execute(
                "SELECT body FROM audit WHERE kind=? ORDER BY id DESC LIMIT ?", (kind, limit)
            ).fetchall()

        return [AuditEvent.model_validate_json(body) for (body,) in await self._read(select)]

    # --- versioned records --------------------------------------------------------------
    async def put_record(
        self, kind: str, record_id: str, data: dict[str, Any], *, only_if_absent: bool = False
    ) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT body FROM records WHERE kind=? AND id=?", (kind, record_id)).fetchone()
            if row is not None and only_if_absent:
                return False
            old = None if row is None else Record.model_validate_json(row[0])
            _write_record(c, kind, record_id, data, old)
            return True

        return await self._run(write)

    async def get_record(self, kind: str, record_id: str) -> Record | None:
        row = await self._read(
            lambda c: c.execute(
                "SELECT body FROM records WHERE kind=? AND id=?", (kind, record_id)
            ).fetchone()
        )
        return None if row is None else Record.model_validate_json(row[0])

    async def get_records(self, kind: str, record_ids: Sequence[str]) -> dict[str, Record]:
        ids = json.dumps(list(dict.fromkeys(record_ids)))
        # The ids as one JSON array: one SQL text whatever their number, one prepared statement.
        rows = await self._read(
            lambda c: c.execute(
                "SELECT id, body FROM records WHERE kind=? AND id IN (SELECT value FROM json_each(?))",
                (kind, ids),
            ).fetchall()
        )
        return {rid: Record.model_validate_json(body) for rid, body in rows}

    async def cas_record(
        self, kind: str, record_id: str, *, expected_version: int, data: dict[str, Any]
    ) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT body FROM records WHERE kind=? AND id=?", (kind, record_id)).fetchone()
            old = None if row is None else Record.model_validate_json(row[0])
            if (old.version if old else 0) != expected_version:
                return False
            _write_record(c, kind, record_id, data, old)
            return True

        return await self._run(write)

    async def list_records(self, kind: str, *, limit: int = 100) -> list[Record]:
        rows = await self._read(
            lambda c: c.execute(
                "SELECT body FROM records WHERE kind=? ORDER BY updated_at DESC LIMIT ?", (kind, limit)
            ).fetchall()
        )
        return [Record.model_validate_json(body) for (body,) in rows]

    async def count_records(self, kind: str) -> int:
        return await self._read(
            lambda c: int(c.execute("SELECT COUNT(*) FROM records WHERE kind=?", (kind,)).fetchone()[0])
        )


def _dead_letter(c: sqlite3.Connection, key: str, message: InboundMessage, attempts: int, error: str) -> None:
    _store_letter(c, DeadLetter(key=key, message=message, attempts=attempts, error=error[:2000]))


def _unloadable(
    c: sqlite3.Connection,
    seq: int,
    key: str,
    body: str,
    attempts: int,
    reason: str,
    now: float,
    settings: StoreSettings,
) -> None:
    """Count a failed load as an attempt: retried after the backoff, dead after the last."""
    if attempts >= settings.max_attempts:
        _store_letter(c, unloadable_letter(key, body, attempts, reason))
        return
    retry_at = now + settings.retry_backoff_s * 2 ** (attempts - 1)
    c.execute(
        "UPDATE queue SET consumer=NULL, token=NULL, attempts=?, available_at=? WHERE seq=?",
        (attempts, retry_at, seq),
    )


def _store_letter(c: sqlite3.Connection, letter: DeadLetter) -> None:
    key = letter.key
    c.execute("DELETE FROM queue WHERE key=?", (key,))
    c.execute(
        "INSERT OR REPLACE INTO dead_letters VALUES (?,?,?)", (key, letter.model_dump_json(), time.time())
    )


def _outbox_row(item: OutboxItem) -> tuple[str, str, float, float, str]:
    return (
        item.idempotency_key,
        item.status,
        item.next_attempt_at.timestamp(),
        item.created_at.timestamp(),
        item.model_dump_json(),
    )


def _write_record(
    c: sqlite3.Connection, kind: str, record_id: str, data: dict[str, Any], old: Record | None
) -> None:
    now = utc_now()
    record = Record(
        kind=kind,
        id=record_id,
        version=(old.version + 1) if old else 1,
        data=json.loads(json.dumps(data, default=str)),
        created_at=old.created_at if old else now,
        updated_at=now,
    )
    c.execute(
        "INSERT OR REPLACE INTO records VALUES (?,?,?,?,?)",
        (kind, record_id, record.version, now.timestamp(), record.model_dump_json()),
    )
