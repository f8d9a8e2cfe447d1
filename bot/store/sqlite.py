"""SQLite hot path (and, with `SqliteStore`, the embedded default store), one file.

Why this shape: SQLite connections must stay on one thread, and every call blocks, so all work
runs on a single dedicated worker thread behind `_run` and the event loop never waits on disk.
WAL mode lets readers proceed during writes. Intake commits with `synchronous=FULL` (the
message is on disk before the webhook answers 202); other writes use `NORMAL`, which in WAL
mode survives a process crash and can lose only the last commits on power loss, all of which
are re-derived from the durable intake by redelivery.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.core.digests import author_digest
from bot.core.models import Claim, DeadLetter, InboundMessage
from bot.store.base import DeadLetterUnloadable, StoreSettings, StoreUnavailable
from bot.store.forget import forgotten
from bot.store.letters import (
    UnloadableMessage,
    dead_letter_cursor,
    dead_letter_position,
    load_message,
    read_dead_letter,
    unloadable_letter,
)
from bot.store.records import Page
from bot.store.split import SplitStore
from bot.store.sql.embedded import EmbeddedExecutor, SqliteFile
from bot.store.sql.store import SqlRecordStore

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (key TEXT PRIMARY KEY, body TEXT NOT NULL, seen_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, available_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, consumer TEXT, token TEXT, person TEXT);
CREATE INDEX IF NOT EXISTS queue_available ON queue (available_at);
CREATE INDEX IF NOT EXISTS queue_consumer ON queue (consumer);
CREATE INDEX IF NOT EXISTS queue_token ON queue (token);
CREATE TABLE IF NOT EXISTS dead_letters (
  key TEXT PRIMARY KEY, body TEXT NOT NULL, failed_at REAL NOT NULL, person TEXT);
CREATE INDEX IF NOT EXISTS dead_letters_time ON dead_letters (failed_at, key);
CREATE TABLE IF NOT EXISTS reservations (key TEXT PRIMARY KEY, until REAL NOT NULL, owner TEXT);
CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, until REAL NOT NULL);
"""

_CLAIM_COLUMNS = "SELECT q.seq, q.key, q.attempts, m.body FROM queue q JOIN messages m ON m.key = q.key "
_CLAIM_OWN = _CLAIM_COLUMNS + "WHERE q.consumer = ? ORDER BY q.seq LIMIT ?"
_CLAIM_DUE = _CLAIM_COLUMNS + "WHERE q.available_at <= ? AND q.consumer IS NOT ? ORDER BY q.seq LIMIT ?"


def _take(c: sqlite3.Connection, key: str, now: datetime, until: datetime, owner: str | None) -> bool:
    """`reserve` on the store's thread: True when the key was free (or ours) and is now held."""
    row = c.execute("SELECT until, owner FROM reservations WHERE key=?", (key,)).fetchone()
    if row is not None and row[0] > now.timestamp() and (owner is None or row[1] != owner):
        return False
    c.execute(
        "INSERT OR REPLACE INTO reservations (key, until, owner) VALUES (?, ?, ?)",
        (key, until.timestamp(), owner),
    )
    return True


def _bump(c: sqlite3.Connection, key: str, now: datetime, window_s: float) -> int:
    """`incr_window` on the store's thread: the window's count after this event."""
    bucket = int(now.timestamp() // window_s)
    counter_key = f"{key}@{bucket}"
    c.execute(
        "INSERT INTO counters VALUES (?, 1, ?) ON CONFLICT(key) DO UPDATE SET count=count+1",
        (counter_key, (bucket + 2) * window_s),
    )
    c.execute("DELETE FROM counters WHERE expires < ?", (now.timestamp() - window_s,))
    return int(c.execute("SELECT count FROM counters WHERE key=?", (counter_key,)).fetchone()[0])


# Keys per look-up: well under SQLite's bound on a statement's parameters.
_SEEN_CHUNK = 500


def _seen_until(c: sqlite3.Connection, keys: list[str]) -> dict[str, float]:
    """`seen_until` of those of `keys` already in `messages`, in one statement per chunk."""
    seen: dict[str, float] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _SEEN_CHUNK):
        chunk = unique[start : start + _SEEN_CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT key, seen_until FROM messages WHERE key IN ({marks})"
        seen.update(c.execute(sql, chunk).fetchall())
    return seen


class SqliteHotPath:
    """`HotPathStore` on one SQLite file; safe for many asyncio workers in one process.

    It runs on a `SqliteFile`, which the embedded records store may share (one file, one
    writer thread, shared group commits: `bot/store/sql/embedded.py`).
    """

    def __init__(self, file: SqliteFile, settings: StoreSettings | None = None) -> None:
        self.file = file
        self.path = file.path
        self.settings = settings or StoreSettings()

    # --- plumbing -----------------------------------------------------------------------
    async def _run(
        self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = False, read: bool = False
    ) -> T:
        return await self.file.run(fn, durable=durable, read=read)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A call that only reads: it joins the next group without a savepoint of its own."""
        return await self._run(fn, read=True)

    async def open(self) -> None:
        await self.file.open()
        try:
            # One statement at a time: `executescript` would COMMIT the runner's transaction.
            await self._run(_create_schema)
        except sqlite3.Error as exc:
            await self.file.close()
            raise StoreUnavailable(f"cannot open SQLite store at {self.path}: {exc}") from exc

    async def close(self) -> None:
        await self.file.close()

    async def ping(self) -> bool:
        try:
            return await self._read(lambda c: c.execute("SELECT 1").fetchone() is not None)
        except (sqlite3.Error, StoreUnavailable):
            return False

    async def clear(self) -> None:
        tables = ("messages", "queue", "dead_letters", "reservations", "counters", "flags", "leases")

        def wipe(c: sqlite3.Connection) -> None:
            for table in tables:
                c.execute(f"DELETE FROM {table}")

        await self._run(wipe)

    # --- intake -------------------------------------------------------------------------
    async def enqueue(self, messages: Sequence[InboundMessage]) -> list[bool]:
        now = time.time()
        window = self.settings.dedupe_window_s
        rows = [(m.key, m.model_dump_json(), author_digest(m.channel, m.author.handle)) for m in messages]

        def insert(c: sqlite3.Connection) -> list[bool]:
            # One look-up for the batch and one executemany per table, in order (the queue's
            # sequence follows the batch), rather than three statements per message: this runs
            # on the store's thread, holding the GIL the event loop needs, per statement.
            seen = _seen_until(c, [key for key, _, _ in rows])
            until = now + window
            fresh: list[bool] = []
            kept: list[tuple[str, str, float]] = []
            queued: list[tuple[str, float, str]] = []
            for key, body, person in rows:
                previous = seen.get(key)
                if previous is not None and previous > now:
                    fresh.append(False)
                    continue
                seen[key] = until  # a repeat later in this batch sees this one, as in the table
                kept.append((key, body, until))
                queued.append((key, now, person))
                fresh.append(True)
            if kept:
                c.executemany("INSERT OR REPLACE INTO messages VALUES (?,?,?)", kept).close()
                c.executemany(
                    "INSERT OR IGNORE INTO queue (key, available_at, person) VALUES (?, ?, ?)", queued
                ).close()
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
            taken: list[tuple[str, str, float, int]] = []
            # One random nonce per claim, the row's sequence after it: unique per delivery, and
            # one call into the OS's random source per batch instead of one per message.
            nonce = uuid.uuid4().hex
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
                token = f"{nonce}-{seq}"
                taken.append((consumer, token, now + timeout, seq))
                claims.append(Claim(message=message, delivery_id=token, attempts=attempts + 1))
            if taken:  # one executemany for the batch: each row's own update, stepped in C
                c.executemany(
                    "UPDATE queue SET consumer=?, token=?, attempts=attempts+1, available_at=? WHERE seq=?",
                    taken,
                ).close()
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

    async def dead_letter_page(self, *, cursor: str | None = None, limit: int = 100) -> Page[DeadLetter]:
        after = dead_letter_position(cursor)

        def read(c: sqlite3.Connection) -> list[tuple[str, str, float]]:
            sql: str = ""
            args: tuple[object, ...] = ()
            if after is not None:
                sql, args = (
                    "WHERE failed_at < ? OR (failed_at = ? AND key < ?) ",
                    (after[0], after[0], after[1]),
                )
            order = "ORDER BY failed_at DESC, key DESC LIMIT ?"
            query = f"SELECT key, body, failed_at FROM dead_letters {sql}{order}"
            return list(c.execute(query, (*args, limit + 1)).fetchall())

        rows = await self._read(read)
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(
            [read_dead_letter(key, body) for key, body, _ in rows],
            dead_letter_cursor(rows[-1][2], rows[-1][0]) if more else None,
        )

    async def count_dead_letters(self) -> int:
        row = await self._read(lambda c: c.execute("SELECT COUNT(*) FROM dead_letters").fetchone())
        return int(row[0])

    async def requeue_dead_letter(self, message_key: str) -> bool:
        def move(c: sqlite3.Connection) -> bool | None:
            if c.execute("SELECT 1 FROM dead_letters WHERE key=?", (message_key,)).fetchone() is None:
                return False
            row = c.execute("SELECT body FROM messages WHERE key=?", (message_key,)).fetchone()
            try:
                message = load_message(row[0] if row else "")
            except UnloadableMessage:
                return None  # it would only fail again: refused, the dead letter stays
            person = author_digest(message.channel, message.author.handle)
            c.execute("DELETE FROM dead_letters WHERE key=?", (message_key,))
            c.execute(
                "INSERT OR IGNORE INTO queue (key, available_at, person) VALUES (?, 0, ?)",
                (message_key, person),
            )
            return True

        moved = await self._run(move)
        if moved is None:
            raise DeadLetterUnloadable(f"the stored message {message_key} cannot be loaded")
        return moved

    async def forget_messages(self, message_keys: Sequence[str], placeholder: str) -> int:
        return await self._run(lambda c: _forget(c, message_keys, placeholder), durable=True)

    async def forget_queued(self, channel: str, handle: str, placeholder: str) -> int:
        """The queue row holds no body (it is the `messages` row): the author's digest on queued
        rows and dead letters finds the keys, their bodies are rewritten and the digest is
        cleared, in one transaction."""
        person = author_digest(channel, handle)

        def blank(c: sqlite3.Connection) -> int:
            keys: set[str] = set()
            for table in ("queue", "dead_letters"):
                keys |= {row[0] for row in c.execute(f"SELECT key FROM {table} WHERE person=?", (person,))}
                c.execute(f"UPDATE {table} SET person=NULL WHERE person=?", (person,))
            return _forget(c, sorted(keys), placeholder)

        return await self._run(blank, durable=True)

    async def get_message(self, message_key: str) -> InboundMessage | None:
        row = await self._read(
            lambda c: c.execute("SELECT body FROM messages WHERE key=?", (message_key,)).fetchone()
        )
        return None if row is None else load_message(row[0])

    # --- reservations, counters and flags -----------------------------------------------
    async def reserve(self, key: str, *, now: datetime, until: datetime, owner: str | None = None) -> bool:
        return await self._run(lambda c: _take(c, key, now, until, owner))

    async def incr_window(self, key: str, *, now: datetime, window_s: float) -> int:
        return await self._run(lambda c: _bump(c, key, now, window_s))

    async def reserve_and_count(
        self, key: str, *, now: datetime, until: datetime, owner: str | None, counter: str, window_s: float
    ) -> int | None:
        def both(c: sqlite3.Connection) -> int | None:
            return _bump(c, counter, now, window_s) if _take(c, key, now, until, owner) else None

        return await self._run(both)

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

    # --- leader leases (wall clock) -----------------------------------------------------
    async def acquire_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        now = time.time()

        def take(c: sqlite3.Connection) -> bool:
            row = c.execute("SELECT owner, until FROM leases WHERE name=?", (name,)).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            c.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?)", (name, owner, now + ttl_s))
            return True

        return await self._run(take)

    async def renew_lease(self, name: str, owner: str, ttl_s: float) -> bool:
        now = time.time()
        sql = "UPDATE leases SET until=? WHERE name=? AND owner=? AND until > ?"
        return await self._run(lambda c: c.execute(sql, (now + ttl_s, name, owner, now)).rowcount == 1)

    async def release_lease(self, name: str, owner: str) -> bool:
        sql = "DELETE FROM leases WHERE name=? AND owner=?"
        return await self._run(lambda c: c.execute(sql, (name, owner)).rowcount == 1)

    async def lease_holder(self, name: str) -> str | None:
        now = time.time()
        row = await self._read(
            lambda c: c.execute("SELECT owner FROM leases WHERE name=? AND until > ?", (name, now)).fetchone()
        )
        return None if row is None else str(row[0])


def _create_schema(c: sqlite3.Connection) -> None:
    for sql in SCHEMA.split(";"):
        if sql.strip():
            c.execute(sql).close()
    columns = {row[1] for row in c.execute("PRAGMA table_info(reservations)")}
    if "owner" not in columns:  # a file from before reservations had owners
        c.execute("ALTER TABLE reservations ADD COLUMN owner TEXT").close()
    for table in ("queue", "dead_letters"):
        if "person" not in {row[1] for row in c.execute(f"PRAGMA table_info({table})")}:
            # a file from before queued messages were indexed by author (erasure): its rows
            # stay unindexed and are drained (or requeued) as before
            c.execute(f"ALTER TABLE {table} ADD COLUMN person TEXT").close()
        c.execute(f"CREATE INDEX IF NOT EXISTS {table}_person ON {table} (person)").close()


def _forget(c: sqlite3.Connection, message_keys: Sequence[str], placeholder: str) -> int:
    """Rewrite the stored bodies (dedupe copy, the one a queued row is claimed from, and dead
    letters) of these keys; how many were rewritten."""
    changed = 0
    for table in ("messages", "dead_letters"):
        for key in message_keys:
            row = c.execute(f"SELECT body FROM {table} WHERE key=?", (key,)).fetchone()
            if row is not None:
                c.execute(f"UPDATE {table} SET body=? WHERE key=?", (forgotten(row[0], placeholder), key))
                changed += 1
    return changed


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
    row = c.execute("SELECT person FROM queue WHERE key=?", (key,)).fetchone()
    c.execute("DELETE FROM queue WHERE key=?", (key,))
    c.execute(
        "INSERT OR REPLACE INTO dead_letters (key, body, failed_at, person) VALUES (?,?,?,?)",
        (key, letter.model_dump_json(), time.time(), row[0] if row else None),
    )


class SqliteStore(SplitStore):
    """The embedded default: hot path and records in one SQLite file, on one writer thread."""

    hot: SqliteHotPath

    def __init__(self, path: Path, settings: StoreSettings | None = None) -> None:
        file = SqliteFile(path)
        self.path = path
        super().__init__(
            SqliteHotPath(file, settings),
            SqlRecordStore(EmbeddedExecutor(file), describe=f"records in the SQLite file {path}"),
        )
