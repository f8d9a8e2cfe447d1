"""Meta Graph webhook bodies (Facebook Page, Instagram, WhatsApp) into canonical messages.

Dispatch is a dict from the body's `object` to a function, and inside it from the change's
`field` (or the messaging event's kind) to what it becomes; anything else is counted as
skipped, never raised. One body may carry many `entry` items, each with many changes.

- Page `feed` changes with `item: comment, verb: add` are Facebook comments (channel
  `facebook`); other feed items (reactions, posts, edits, removals) are skipped, and so are
  comments written by our own Page.
- Page `messaging` events are Messenger messages (channel `messenger`, private); echoes of what
  the Page sent (`is_echo`), deliveries, reads, reactions and postbacks are skipped.
- Instagram `comments` changes are comments (channel `instagram`), `messaging` events are DMs
  (channel `instagram_dm`, private), with the same echo rule.
- WhatsApp `messages` changes: see `adapters/meta/whatsapp.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from adapters.base import Translation
from adapters.meta.whatsapp import PLACEHOLDER, translate_whatsapp_value
from bot.core.models import Author, Channel, InboundMessage

OBJECTS = {"page": "facebook", "instagram": "instagram", "whatsapp_business_account": "whatsapp"}
_MESSAGING_SKIPS = ("delivery", "read", "reaction", "postback", "optin", "referral", "message_edit")


def translate_body(body: Any, *, platforms: Collection[str], own_ids: Collection[str]) -> Translation:
    """A webhook body of one of `platforms` (facebook, instagram, whatsapp)."""
    result = Translation()
    if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
        result.skip("not_a_webhook_body")
        return result
    platform = OBJECTS.get(str(body.get("object")))
    if platform is None or platform not in platforms:
        result.skip(f"object_{body.get('object')}")
        return result
    for entry in body["entry"]:
        if not isinstance(entry, dict):
            result.skip("malformed")
            continue
        for change in _listed(entry.get("changes"), result):
            with result.item():
                _change(platform, entry, change, result, own_ids)
        for event in _listed(entry.get("messaging"), result):
            with result.item():
                _messaging(platform, entry, event, result)
    return result


def _listed(value: Any, result: Translation) -> list[dict[str, Any]]:
    """The objects of a documented list; anything else in it (or instead of it) is malformed."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    objects = [item for item in items if isinstance(item, dict)]
    if len(objects) != len(items):
        result.skip("malformed", len(items) - len(objects))
    return objects


def _change(
    platform: str,
    entry: Mapping[str, Any],
    change: Mapping[str, Any],
    result: Translation,
    own: Collection[str],
) -> None:
    field, value = str(change.get("field")), change.get("value")
    if not isinstance(value, dict):
        result.skip("malformed")
        return
    handler = _CHANGES.get((platform, field))
    if handler is None:
        result.skip(field)
        return
    handler(entry, value, result, own)


def _page_feed(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    item, verb = value.get("item"), value.get("verb")
    if item != "comment" or verb != "add":
        result.skip(f"feed_{item}_{verb}")
        return
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    sender_id = str((sender or {}).get("id") or "")
    if sender_id and (sender_id in own or sender_id == str(entry.get("id"))):
        result.skip("own_page")
        return
    parent = value.get("parent_id") or value.get("post_id")
    _add(
        result,
        "facebook",
        value.get("comment_id"),
        _time(value.get("created_time") or entry.get("time")),
        Author(handle=sender_id, name=(sender or {}).get("name"), customer_id=sender_id or None),
        value.get("message"),
        parent,
        {"entry_id": entry.get("id"), "value": dict(value)},
    )


def _instagram_comment(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    sender = value.get("from") if isinstance(value.get("from"), dict) else {}
    sender_id = str((sender or {}).get("id") or "")
    if sender_id and (sender_id in own or sender_id == str(entry.get("id"))):
        result.skip("own_account")
        return
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    username = (sender or {}).get("username")
    _add(
        result,
        "instagram",
        value.get("id"),
        _time(value.get("timestamp") or entry.get("time")),
        Author(
            handle=f"@{username}" if username else sender_id, name=username, customer_id=sender_id or None
        ),
        value.get("text"),
        value.get("parent_id") or (media or {}).get("id"),
        {"entry_id": entry.get("id"), "value": dict(value)},
    )


def _whatsapp(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    translate_whatsapp_value(value, result)


ChangeHandler = Callable[[Mapping[str, Any], Mapping[str, Any], Translation, Collection[str]], None]
_CHANGES: dict[tuple[str, str], ChangeHandler] = {
    ("facebook", "feed"): _page_feed,
    ("instagram", "comments"): _instagram_comment,
    ("whatsapp", "messages"): _whatsapp,
}


def _messaging(
    platform: str, entry: Mapping[str, Any], event: Mapping[str, Any], result: Translation
) -> None:
    channel: Channel = "messenger" if platform == "facebook" else "instagram_dm"
    if platform == "whatsapp":
        result.skip("messaging")
        return
    message = event.get("message")
    if not isinstance(message, dict):
        kind = next((k for k in _MESSAGING_SKIPS if k in event), "messaging_other")
        result.skip(kind)
        return
    if message.get("is_echo"):
        result.skip("echo")
        return
    if message.get("is_deleted"):
        result.skip("deleted")
        return
    sender = str((event.get("sender") or {}).get("id") or "")
    text = message.get("text")
    if not text:
        kinds = [a.get("type") for a in message.get("attachments") or [] if isinstance(a, dict)]
        text = " ".join(PLACEHOLDER.get(str(k), f"[{k}]") for k in kinds) or "[message]"
    reply_to = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
    _add(
        result,
        channel,
        message.get("mid"),
        _time(event.get("timestamp") or entry.get("time")),
        Author(handle=sender, customer_id=sender or None),
        text,
        (reply_to or {}).get("mid"),
        {"entry_id": entry.get("id"), "event": dict(event)},
    )


def _add(
    result: Translation,
    channel: Channel,
    message_id: Any,
    created: datetime | None,
    author: Author,
    text: Any,
    in_reply_to: Any,
    raw: dict[str, Any],
) -> None:
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


def _time(value: Any) -> datetime | None:
    """Graph times: epoch seconds, epoch milliseconds (Messenger) or ISO 8601."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        try:
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
        except ValueError:
            return None
    return None
