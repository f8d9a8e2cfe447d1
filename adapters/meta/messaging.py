"""Messenger and Instagram Direct `messaging` events into canonical private messages.

Each event has one kind, named by its key: `message` is what a customer wrote (text, or only
attachments, a sticker, a quick reply's text, a reply to a message or a story); every other key
(`postback`, `delivery`, `read`, `reaction`, `referral`, `optin`, the handover protocol's
`pass_thread_control`...) is not a customer message and is counted by that key. Echoes of what
the Page or account sent (`is_echo`, or the Page itself as sender), deleted messages and events
in `standby` (another app owns the thread, so it answers) are skipped too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from adapters.base import Translation
from adapters.meta.canonical import add_message, graph_time, is_own, sender_of
from adapters.meta.whatsapp import PLACEHOLDER
from bot.core.models import Author, Channel

EVENT_KINDS = (
    "postback", "delivery", "read", "reaction", "referral", "optin", "message_edit",
    "account_linking", "pass_thread_control", "take_thread_control", "request_thread_control",
    "app_roles", "policy_enforcement", "messaging_feedback", "game_play", "response_feedback",
)  # fmt: skip
ATTACHMENT_PLACEHOLDER = {
    **PLACEHOLDER,
    "file": "[document]",
    "fallback": "[link]",
    "share": "[share]",
    "story_mention": "[story mention]",
    "ig_reel": "[reel]",
    "reel": "[reel]",
    "template": "[template]",
}


def translate_messaging(
    channel: Channel,
    entry: Mapping[str, Any],
    event: Mapping[str, Any],
    result: Translation,
    own: Collection[str],
) -> None:
    """One `messaging` event of a Page (channel `messenger`) or account (`instagram_dm`)."""
    message = event.get("message")
    if not isinstance(message, dict):
        result.skip(next((k for k in EVENT_KINDS if k in event), "messaging_other"))
        return
    sender, _ = sender_of(event.get("sender"))
    if message.get("is_echo") or is_own(sender, entry, own):
        result.skip("echo")
        return
    if message.get("is_deleted"):
        result.skip("deleted")
        return
    add_message(
        result,
        channel,
        message.get("mid"),
        graph_time(event.get("timestamp") or entry.get("time")),
        Author(handle=sender, customer_id=sender or None),
        message_text(message),
        replied_to(message),
        {"entry_id": entry.get("id"), "event": dict(event)},
    )


def message_text(message: Mapping[str, Any]) -> str:
    """The text, else placeholders naming what was sent (with a shared link's title)."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    if message.get("sticker_id"):
        return "[sticker]"
    if message.get("is_unsupported"):
        return "[unsupported message]"
    parts = [_attachment(a) for a in message.get("attachments") or [] if isinstance(a, dict)]
    return " ".join(parts) or "[message]"


def _attachment(attachment: Mapping[str, Any]) -> str:
    kind = str(attachment.get("type") or "attachment")
    placeholder = ATTACHMENT_PLACEHOLDER.get(kind, f"[{kind}]")
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    title = attachment.get("title") or (payload or {}).get("title")
    return f"{placeholder} {title}" if isinstance(title, str) and title.strip() else placeholder


def replied_to(message: Mapping[str, Any]) -> str | None:
    """The message (`reply_to.mid`) or Instagram story (`reply_to.story.id`) this one answers."""
    reply_to = message.get("reply_to") if isinstance(message.get("reply_to"), dict) else {}
    story = (reply_to or {}).get("story")
    found = (reply_to or {}).get("mid") or (story.get("id") if isinstance(story, dict) else None)
    return str(found) if found else None
