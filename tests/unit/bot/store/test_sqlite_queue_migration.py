"""A hot-path file from before queued messages carried their author's digest opens, keeps its
queue, and indexes what is queued from then on (erasure of waiting messages)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

from bot.store.sqlite import SqliteStore
from tests.conftest import eventually, make_message

BEFORE = """
CREATE TABLE messages (key TEXT PRIMARY KEY, body TEXT NOT NULL, seen_until REAL NOT NULL);
CREATE TABLE queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, available_at REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, consumer TEXT, token TEXT);
CREATE TABLE dead_letters (key TEXT PRIMARY KEY, body TEXT NOT NULL, failed_at REAL NOT NULL);
"""


def _old_file(path: Path) -> None:
    old = make_message("old1", "en cola antes de la actualización", handle="@ana_p")
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(BEFORE)
        conn.execute(
            "INSERT INTO messages VALUES (?,?,?)", (old.key, old.model_dump_json(), time.time() + 60)
        )
        conn.execute("INSERT INTO queue (key, available_at) VALUES (?, ?)", (old.key, time.time()))
        conn.commit()


async def test_an_old_queue_gains_the_author_column_and_its_rows_are_still_claimed(tmp_path: Path) -> None:
    path = tmp_path / "centinela.sqlite3"
    _old_file(path)
    store = SqliteStore(path)
    await store.open()
    try:
        await store.enqueue([make_message("new1", "Soy Ana, contrato CT-778899", handle="@ana_p")])
        # only the new row carries the digest: the old one was queued unindexed
        assert await store.hot.forget_queued("twitter", "ana_p", "[erased]") == 1
        claims = await eventually(lambda: store.claim("w1", 2), timeout=20)
        texts = {c.message.id: c.message.text for c in claims}
        assert texts == {"old1": "en cola antes de la actualización", "new1": "[erased]"}
        await store.ack(claims)
        assert await store.queue_depth() == 0
    finally:
        await store.close()
    with closing(sqlite3.connect(path)) as conn:
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(dead_letters)")}
    assert "dead_letters_person" in indexes
