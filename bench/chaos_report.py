"""What a chaos run left behind, counted from the store file and the recording, not the API.

Why read the stores: the API lists at most 1,000 items per call and could itself be wrong; the
hot path (SQLite file or Redis), the records database (SQLite file or PostgreSQL) and the JSONL
the recording adapter appends to are the ground truth of what was kept and what was
"published". Counted after the service stopped, so nothing moves meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPLY_ACTIONS = ("answer", "case")


def published_per_key(recording: Path) -> Counter[str]:
    """How many times each idempotency key reached the recording adapter (the 'platform')."""
    counts: Counter[str] = Counter()
    if not recording.exists():
        return counts
    for line in recording.read_text(encoding="utf-8").splitlines():
        if line.strip():
            counts[json.loads(line)["idempotency_key"]] += 1
    return counts


@dataclass
class HotPathContents:
    """What the hot path kept: messages, dead letters, what is still queued."""

    stored: set[str]
    dead: set[str]
    queue_left: int


@dataclass
class RecordContents:
    """What the records database kept: decisions and the outbox, as their JSON bodies."""

    decisions: list[dict[str, Any]]
    outbox: list[dict[str, Any]]


def sqlite_hot_path(sqlite_path: Path) -> HotPathContents:
    conn = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return HotPathContents(
            stored={key for (key,) in conn.execute("SELECT key FROM messages")},
            dead={key for (key,) in conn.execute("SELECT key FROM dead_letters")},
            queue_left=int(conn.execute("SELECT COUNT(*) FROM queue").fetchone()[0]),
        )
    finally:
        conn.close()


def sqlite_records(sqlite_path: Path) -> RecordContents:
    conn = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        return RecordContents(
            decisions=[json.loads(body) for (body,) in conn.execute("SELECT body FROM decisions")],
            outbox=[json.loads(body) for (body,) in conn.execute("SELECT body FROM outbox")],
        )
    finally:
        conn.close()


@dataclass
class StoreContents:
    """What both halves kept, whichever backends they were."""

    hot: HotPathContents
    records: RecordContents

    @property
    def stored(self) -> set[str]:
        return self.hot.stored

    @property
    def dead(self) -> set[str]:
        return self.hot.dead

    @property
    def queue_left(self) -> int:
        return self.hot.queue_left

    @property
    def decisions(self) -> list[dict[str, Any]]:
        return self.records.decisions

    @property
    def outbox(self) -> list[dict[str, Any]]:
        return self.records.outbox


def summarise(
    kept: StoreContents, recording: Path, *, acknowledged: set[str], poison: set[str]
) -> dict[str, Any]:
    decided = {d["message_key"] for d in kept.decisions}
    owed = {
        d["message_key"]
        for d in kept.decisions
        if d["action"] in REPLY_ACTIONS and d.get("suppressed") is None
    }
    outbox = kept.outbox
    statuses = Counter(item["status"] for item in outbox)
    robot_replies = {i["message_key"] for i in outbox if i["account"] == "robot" and i["message_key"]}
    per_key = published_per_key(recording)
    published_keys = {item["idempotency_key"] for item in outbox if item["status"] == "published"}
    return {
        "accepted": len(acknowledged),
        "stored": len(kept.stored - poison),
        "decided": len(decided & acknowledged),
        "lost": sorted(acknowledged - decided)[:20],
        "lost_count": len(acknowledged - decided),
        "queue_left": kept.queue_left,
        "dead_letters": sorted(kept.dead),
        "poison_injected": sorted(poison),
        "dead_letters_are_exactly_the_poison": kept.dead == poison,
        "outbox": dict(statuses),
        "published_lines": sum(per_key.values()),
        "published_keys": len(per_key),
        "duplicated_keys": sorted(k for k, n in per_key.items() if n > 1),
        "max_publications_per_key": max(per_key.values(), default=0),
        "published_but_not_marked": len(set(per_key) - published_keys - _reviewed(outbox)),
        "replies_owed": len(owed),
        "replies_queued": len(owed & robot_replies),
        "replies_lost": sorted(owed - robot_replies)[:20],
        "replies_sent": len({i["message_key"] for i in outbox if i["idempotency_key"] in per_key} & owed),
        "replies_needing_review": statuses.get("needs_review", 0),
    }


def _reviewed(outbox: list[dict[str, Any]]) -> set[str]:
    return {item["idempotency_key"] for item in outbox if item["status"] == "needs_review"}


def verdict(counts: dict[str, Any], bad_input_5xx: int) -> list[str]:
    """The broken promises, empty when the run held every one."""
    broken = []
    if counts["lost_count"]:
        broken.append(f"{counts['lost_count']} accepted message(s) never decided")
    if counts["queue_left"]:
        broken.append(f"{counts['queue_left']} message(s) left in the queue after the drain")
    if counts["duplicated_keys"]:
        broken.append(f"{len(counts['duplicated_keys'])} idempotency key(s) published more than once")
    if not counts["dead_letters_are_exactly_the_poison"]:
        broken.append("dead letters are not exactly the injected poison messages")
    if counts["replies_lost"]:
        broken.append(f"{len(counts['replies_lost'])} owed reply(ies) never queued")
    if counts["outbox"].get("pending"):
        broken.append(f"{counts['outbox']['pending']} outbox item(s) still pending")
    if bad_input_5xx:
        broken.append(f"{bad_input_5xx} 5xx answer(s) to bad input")
    return broken
