"""Meta Graph webhook bodies (Facebook Page, Instagram, WhatsApp) into canonical messages.

Dispatch is a dict from the body's `object` to a function, and inside it from the change's
`field` (or the messaging event's kind) to what it becomes; anything else is counted as
skipped, never raised. One body may carry many `entry` items, each with many changes.

- Page `feed` changes: `item: comment, verb: add` is a Facebook comment (channel `facebook`,
  replying to its `parent_id`); a visitor's own post on the Page (`item: post | status | photo |
  video | share`, `verb: add`) is a Facebook message too. Everything else in the feed
  (reactions, likes, edits, removals, hides) is skipped as `feed_<item>_<verb>`, and so is what
  our own Page wrote (`own_page`). A review with text (`ratings`, or `item: rating`) is one too.
- Page and Instagram `messaging` events: `adapters/meta/messaging.py` (channels `messenger`,
  `instagram_dm`, private); the handover protocol's `standby` events are skipped.
- Instagram `comments` and `live_comments` changes are comments (channel `instagram`); our own
  account's are skipped. `mentions` carry no text (only ids to look up), so they are counted.
- WhatsApp `messages` changes: see `adapters/meta/whatsapp.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from typing import Any

from adapters.base import Translation
from adapters.meta.canonical import add_message, graph_time, is_own, sender_of
from adapters.meta.messaging import translate_messaging
from adapters.meta.whatsapp import translate_whatsapp_value
from bot.core.models import Author, Channel

log = logging.getLogger(__name__)
OBJECTS = {"page": "facebook", "instagram": "instagram", "whatsapp_business_account": "whatsapp"}
# Page feed items a visitor writes on the Page itself, and what stands for them without a message.
FEED_POSTS = {"post": "", "status": "", "photo": "[image]", "video": "[video]", "share": "[link]"}
DM_CHANNELS: dict[str, Channel] = {"facebook": "messenger", "instagram": "instagram_dm"}


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
                _messaging(platform, entry, event, result, own_ids)
        standby = _listed(entry.get("standby"), result)
        if standby:
            result.skip("standby", len(standby))  # another app owns these threads and answers
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
        log.debug("Meta: %s change of field %r skipped (not a customer message)", platform, field)
        result.skip(field)
        return
    handler(entry, value, result, own)


def _page_feed(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    item, verb = str(value.get("item")), value.get("verb")
    if item == "rating":
        _page_rating(entry, value, result, own)
        return
    if verb != "add" or (item != "comment" and item not in FEED_POSTS):
        result.skip(f"feed_{item}_{verb}")
        return
    sender_id, sender = sender_of(value.get("from"))
    if is_own(sender_id, entry, own):
        result.skip("own_page")
        return
    if item == "comment":
        message_id, parent = value.get("comment_id"), value.get("parent_id") or value.get("post_id")
        stand_in = "[image]" if value.get("photo") else "[video]" if value.get("video") else ""
    else:
        message_id, parent, stand_in = value.get("post_id"), None, FEED_POSTS[item]
    message = value.get("message")
    text = message if isinstance(message, str) else ""
    if not text.strip() and not stand_in:
        result.skip(f"feed_{item}_{verb}_without_text")
        return
    add_message(
        result,
        "facebook",
        message_id,
        graph_time(value.get("created_time") or entry.get("time")),
        Author(handle=sender_id, name=sender.get("name"), customer_id=sender_id or None),
        text if text.strip() else stand_in,
        parent,
        {"entry_id": entry.get("id"), "value": dict(value)},
    )


def _page_rating(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    """A review of the Page (`ratings`, or `item: rating` in the feed): its text is a customer's say."""
    verb, text = value.get("verb"), value.get("review_text")
    if verb != "add" or not isinstance(text, str) or not text.strip():
        result.skip(f"rating_{verb}" if verb != "add" else "rating_without_text")
        return
    sender_id, sender = sender_of(value.get("from"))
    reviewer = str(value.get("reviewer_id") or sender_id)
    add_message(
        result,
        "facebook",
        value.get("open_graph_story_id") or value.get("post_id") or value.get("comment_id"),
        graph_time(value.get("created_time") or entry.get("time")),
        Author(
            handle=reviewer,
            name=value.get("reviewer_name") or sender.get("name"),
            customer_id=reviewer or None,
        ),
        text,
        None,
        {"entry_id": entry.get("id"), "value": dict(value)},
    )


def _instagram_comment(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    """`comments` and `live_comments`: the same shape (`from`, `media`, `id`, `text`, `parent_id`)."""
    sender_id, sender = sender_of(value.get("from"))
    if is_own(sender_id, entry, own):
        result.skip("own_account")
        return
    media = value.get("media") if isinstance(value.get("media"), dict) else {}
    username = sender.get("username")
    add_message(
        result,
        "instagram",
        value.get("id"),
        graph_time(value.get("timestamp") or value.get("created_time") or entry.get("time")),
        Author(
            handle=f"@{username}" if username else sender_id, name=username, customer_id=sender_id or None
        ),
        value.get("text"),
        value.get("parent_id") or (media or {}).get("id") or value.get("media_id"),
        {"entry_id": entry.get("id"), "value": dict(value)},
    )


def _whatsapp(
    entry: Mapping[str, Any], value: Mapping[str, Any], result: Translation, own: Collection[str]
) -> None:
    translate_whatsapp_value(value, result)


ChangeHandler = Callable[[Mapping[str, Any], Mapping[str, Any], Translation, Collection[str]], None]
_CHANGES: dict[tuple[str, str], ChangeHandler] = {
    ("facebook", "feed"): _page_feed,
    ("facebook", "ratings"): _page_rating,
    ("instagram", "comments"): _instagram_comment,
    ("instagram", "live_comments"): _instagram_comment,
    ("whatsapp", "messages"): _whatsapp,
}


def _messaging(
    platform: str,
    entry: Mapping[str, Any],
    event: Mapping[str, Any],
    result: Translation,
    own: Collection[str],
) -> None:
    channel = DM_CHANNELS.get(platform)
    if channel is None:
        result.skip("messaging")  # WhatsApp has no `messaging` events
        return
    translate_messaging(channel, entry, event, result, own)
