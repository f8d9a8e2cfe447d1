"""WhatsApp Cloud API `messages` changes into canonical messages.

A change's `value` holds the business number (`metadata`), the senders' profiles (`contacts`),
customer `messages` and delivery `statuses`. Text is kept as written; other message types become
a short bracketed placeholder (with the caption or title when there is one) so the pipeline
still sees that a customer wrote. Statuses, reactions, edits, deletions and system notices are
not customer messages: they are counted and skipped. The message id (`wamid`) is the identity
the intake deduplicates on, which absorbs Meta's retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from adapters.base import Translation
from bot.core.models import Author, InboundMessage

SKIPPED_TYPES = {"reaction": "reaction", "edit": "edited", "revoke": "deleted", "system": "system"}
PLACEHOLDER = {
    "image": "[image]",
    "video": "[video]",
    "document": "[document]",
    "audio": "[audio]",
    "sticker": "[sticker]",
    "location": "[location]",
    "contacts": "[contacts]",
    "order": "[order]",
    "unsupported": "[unsupported message]",
}


def translate_whatsapp_value(value: Mapping[str, Any], result: Translation) -> None:
    statuses = value.get("statuses")
    if isinstance(statuses, list) and statuses:
        result.skip("status", len(statuses))
    names = {
        str(c.get("wa_id")): ((c.get("profile") or {}).get("name"))
        for c in value.get("contacts") or []
        if isinstance(c, dict)
    }
    for message in value.get("messages") or []:
        if not isinstance(message, dict) or not message.get("id"):
            result.skip("malformed")
            continue
        kind = str(message.get("type") or "unsupported")
        if kind in SKIPPED_TYPES:
            result.skip(SKIPPED_TYPES[kind])
            continue
        translated = _message(message, kind, names, value)
        if translated is None:
            result.skip("malformed")
        else:
            result.messages.append(translated)


def _message(
    message: Mapping[str, Any], kind: str, names: Mapping[str, Any], value: Mapping[str, Any]
) -> InboundMessage | None:
    sender = str(message.get("from") or "")
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    try:
        return InboundMessage(
            id=str(message["id"]),
            channel="whatsapp",
            created_at=datetime.fromtimestamp(int(message.get("timestamp") or 0), tz=UTC),
            author=Author(handle=sender, name=names.get(sender), customer_id=sender or None),
            text=message_text(message, kind),
            in_reply_to=str(context["id"]) if context and context.get("id") else None,
            raw={"message": dict(message), "metadata": value.get("metadata")},
        )
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None


def message_text(message: Mapping[str, Any], kind: str) -> str:
    """What the customer said, or a placeholder naming what they sent."""
    body = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return str((body or {}).get("body") or "")
    if kind == "button":
        return str((body or {}).get("text") or "[button]")
    if kind == "interactive":
        for reply in ("button_reply", "list_reply"):
            chosen = (body or {}).get(reply)
            if isinstance(chosen, dict):
                return " — ".join(str(chosen[k]) for k in ("title", "description") if chosen.get(k))
        return "[interactive reply]"
    placeholder = PLACEHOLDER.get(kind, f"[{kind}]")
    detail = (body or {}).get("caption") or (body or {}).get("name") or (body or {}).get("address")
    return f"{placeholder} {detail}" if detail else placeholder
