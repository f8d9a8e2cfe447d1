"""Loading stored messages and dead letters without ever failing on what was stored.

Why: a stored message that cannot be loaded back (an older version accepted it, an adapter
produced it) must travel through claim, dead letters, metrics and requeue like any failure,
not raise where nobody can catch it. Once a claim raised inside its transaction, the rollback
undid the attempt count and the row blocked the queue for good; listing such a dead letter
answered 500. Both stores share these helpers so they behave the same.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from bot.core.models import DeadLetter, InboundMessage
from bot.store.records import InvalidCursor, decode_cursor, encode_cursor

UNREADABLE_EXCERPT = 2000


class UnloadableMessage(ValueError):
    """The stored body is not an `InboundMessage` any more; `reason` says why, briefly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_message(body: str | bytes) -> InboundMessage:
    """The stored message, or `UnloadableMessage` (never a raw pydantic or recursion error)."""
    try:
        return InboundMessage.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UnloadableMessage(str(first.get("msg", exc))[:300]) from exc
    except (ValueError, RecursionError) as exc:
        raise UnloadableMessage(f"{type(exc).__name__}: {exc}"[:300]) from exc


def unloadable_error(reason: str) -> str:
    return f"stored message cannot be loaded: {reason}"


def unloadable_letter(key: str, body: str, attempts: int, reason: str) -> DeadLetter:
    """A dead letter for a body that does not load: the key, why, and an excerpt for a person."""
    return DeadLetter(
        key=key,
        message=None,
        attempts=attempts,
        error=unloadable_error(reason),
        unreadable=body[:UNREADABLE_EXCERPT],
    )


def read_dead_letter(key: str, letter: str, body: str | None = None) -> DeadLetter:
    """A stored dead letter, whichever layout it has, whatever its message.

    `letter` is either a whole `DeadLetter` JSON (SQLite, older Redis entries) or the Redis
    store's metadata (`key`, `attempts`, `error`, `failed_at`) with the message's `body` kept
    beside it.
    """
    try:
        meta = json.loads(letter)
    except (ValueError, RecursionError):
        meta = None  # an old Redis entry that embeds an unloadable message
    if not isinstance(meta, dict):
        return unloadable_letter(key, letter, 0, "dead letter unreadable")
    attempts = meta.get("attempts")
    fields: dict[str, Any] = {
        "key": str(meta.get("key") or key),
        "attempts": attempts if isinstance(attempts, int) else 0,
        "error": str(meta.get("error") or ""),
    }
    message: InboundMessage | None = None
    unreadable = meta.get("unreadable") if isinstance(meta.get("unreadable"), str) else None
    try:
        if meta.get("message") is not None:
            message = InboundMessage.model_validate(meta["message"])
        elif body is not None:
            message = load_message(body)
    except (ValidationError, UnloadableMessage, RecursionError):
        unreadable = (body if body is not None else letter)[:UNREADABLE_EXCERPT]
    try:
        return DeadLetter(**fields, failed_at=meta.get("failed_at"), message=message, unreadable=unreadable)
    except ValidationError:  # a bad time stamp: keep the rest
        return DeadLetter(**fields, message=message, unreadable=unreadable)


def dead_letter_position(cursor: str | None) -> tuple[float, str] | None:
    """Where a dead-letter page continues: (failed at, key) of the last letter shown, or None for
    the first page. Both backends order by that pair, newest first."""
    if not cursor:
        return None
    failed_at, key = decode_cursor(cursor, 2)
    if not isinstance(failed_at, int | float) or isinstance(failed_at, bool) or not isinstance(key, str):
        raise InvalidCursor("cursor is not one this API handed out")
    return float(failed_at), key


def dead_letter_cursor(failed_at: float, key: str) -> str:
    return encode_cursor([failed_at, key])
