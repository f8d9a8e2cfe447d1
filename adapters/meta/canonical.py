"""What every Meta product's translation shares: Graph times, and one canonical message added.

Kept apart from the dispatch so Page feed, Messenger/Instagram DMs and WhatsApp read times and
refuse odd content the same way: a message without an id or a readable time is `malformed`,
counted, never raised, and never dated 1970.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from adapters.base import Translation
from bot.core.models import Author, Channel, InboundMessage


def graph_time(value: Any) -> datetime | None:
    """Graph times: epoch seconds, epoch milliseconds (Messenger), as numbers or strings, or ISO 8601."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number <= 0:
            return None
        try:
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def add_message(
    result: Translation,
    channel: Channel,
    message_id: Any,
    created: datetime | None,
    author: Author,
    text: Any,
    in_reply_to: Any,
    raw: dict[str, Any],
) -> None:
    """Append one canonical message, or count the item `malformed` when it cannot be one."""
    if not message_id or created is None:
        result.skip("malformed")
        return
    try:
        result.messages.append(
            InboundMessage(
                id=str(message_id),
                channel=channel,
                created_at=created,
                author=author,
                text=str(text or ""),
                in_reply_to=str(in_reply_to) if in_reply_to else None,
                raw=raw,
            )
        )
    except ValidationError:
        result.skip("malformed")


def is_own(sender_id: str, entry: Mapping[str, Any], own: Collection[str]) -> bool:
    """Written by our Page or account: a configured id, or the entry's own (the receiving object)."""
    return bool(sender_id) and (sender_id in own or sender_id == str(entry.get("id")))


def sender_of(value: Any) -> tuple[str, dict[str, Any]]:
    """(id, the object) of a `from` / `sender` field, which Meta omits or nulls at times."""
    found = value if isinstance(value, dict) else {}
    return str(found.get("id") or ""), found
