"""WhatsApp Cloud API `messages` changes into canonical messages.

A change's `value` holds the business number (`metadata`), the senders' profiles (`contacts`),
customer `messages`, delivery `statuses` and, when Meta could not deliver an event, `errors`.
Text is kept as written; other message types become a short bracketed placeholder (with the
caption, file name, place or shared contact when there is one) so the pipeline still sees that a
customer wrote. Statuses (sent, delivered, read, failed), reactions, edits, deletions,
system notices, `request_welcome`, answers to a call-permission request and value-level errors
are not customer messages: they are
counted and skipped. The message id (`wamid`) is the identity
the intake deduplicates on, which absorbs Meta's retries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from adapters.base import Translation
from adapters.meta.canonical import graph_time
from bot.core.models import Author, InboundMessage

SKIPPED_TYPES = {
    "reaction": "reaction",
    "edit": "edited",
    "revoke": "deleted",
    "system": "system",
    "request_welcome": "request_welcome",
}
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
    errors = value.get("errors")
    if isinstance(errors, list) and errors:
        result.skip("error", len(errors))
    messages = value.get("messages")
    if messages and not isinstance(messages, list):
        result.skip("malformed")
    elif not messages and not statuses and not errors:
        result.skip("no_messages")
    names = _profile_names(value.get("contacts"))
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict) or not message.get("id"):
            result.skip("malformed")
            continue
        kind = str(message.get("type") or "unsupported")
        if kind in SKIPPED_TYPES:
            result.skip(SKIPPED_TYPES[kind])
            continue
        interactive = message.get("interactive") if kind == "interactive" else None
        if isinstance(interactive, dict) and interactive.get("type") == "call_permission_reply":
            result.skip("call_permission_reply")  # "may we call you?" answered: not a message
            continue
        translated = _message(message, kind, names, value)
        if translated is None:
            result.skip("malformed")
        else:
            result.messages.append(translated)


def _profile_names(contacts: Any) -> dict[str, Any]:
    """Sender id -> profile name. A user who hides their number behind a username is known by
    their business-scoped user id (`user_id`, and `from_user_id` on the message) instead."""
    names: dict[str, Any] = {}
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        name = (profile or {}).get("name") or (profile or {}).get("username")
        for key in ("wa_id", "user_id"):
            if contact.get(key):
                names[str(contact[key])] = name
    return names


def _message(
    message: Mapping[str, Any], kind: str, names: Mapping[str, Any], value: Mapping[str, Any]
) -> InboundMessage | None:
    sender = str(message.get("from") or message.get("from_user_id") or "")
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    created = graph_time(message.get("timestamp"))
    if created is None:
        return None
    try:
        return InboundMessage(
            id=str(message["id"]),
            channel="whatsapp",
            created_at=created,
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
        return "[form reply]" if isinstance((body or {}).get("nfm_reply"), dict) else "[interactive reply]"
    placeholder = PLACEHOLDER.get(kind, f"[{kind}]")
    detail = _detail(body or {}) if kind != "contacts" else _contact_names(message.get("contacts"))
    return f"{placeholder} {detail}" if detail else placeholder


def _detail(body: Mapping[str, Any]) -> str:
    """A media caption, a document's file name, a place's name and address, an order's note."""
    if body.get("caption"):
        return str(body["caption"])
    place = [str(body[k]) for k in ("name", "address") if body.get(k)]
    return ", ".join(place) or str(body.get("filename") or body.get("text") or "")


def _contact_names(contacts: Any) -> str:
    """The names on shared contact cards (`contacts` is a list of cards, not an object)."""
    cards = contacts if isinstance(contacts, list) else []
    names = [(c.get("name") or {}).get("formatted_name") for c in cards if isinstance(c, dict)]
    return ", ".join(str(n) for n in names if n)
