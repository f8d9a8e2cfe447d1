"""`centinela replay FILE --adapter NAME`: recorded platform payloads through an adapter's translation.

FORMATS.md "Recorded platform payloads": each line is what the platform delivered (a webhook
body, `{"headers": {...}, "body": {...}}` when the adapter needs headers, a polled page such as
X's mentions, or `{"raw": "..."}` for e-mail). Each goes through the adapter's own `translate`
(signatures were checked on receipt), and what is not a customer message is counted by reason in
`skipped`; a message id seen earlier in the file (Meta's retries, recorded twice) counts as
`duplicate` and the first is kept, as the intake does. Generic over the registry: a new
adapter needs at most a placeholder config here.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from adapters.base import Adapter
from adapters.registry import ADAPTERS
from bot.config import ConfigError, Settings
from bot.core.models import InboundMessage

log = logging.getLogger(__name__)


def translate_lines(adapter: Adapter, lines: Iterable[str]) -> tuple[list[InboundMessage], Counter[str]]:
    """Every line through `adapter.translate`; bad lines, repeats and non-messages in `skipped`."""
    messages: list[InboundMessage] = []
    skipped: Counter[str] = Counter()
    seen: set[str] = set()
    for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            skipped["invalid_json"] += 1
            continue
        payload, headers = _split(value)
        try:
            translation = adapter.translate(payload, headers)
        except (ValueError, TypeError) as exc:
            skipped[f"invalid_payload: {str(exc.args[0] if exc.args else exc)[:80]}"] += 1
            continue
        skipped.update(translation.skipped)
        for message in translation.messages:
            if message.key in seen:
                skipped["duplicate"] += 1
                continue
            seen.add(message.key)
            messages.append(message)
    if skipped:
        log.info("replay --adapter %s: %d messages; skipped %s", adapter.name, len(messages), dict(skipped))
    return messages, skipped


def _split(value: Any) -> tuple[Any, dict[str, str]]:
    """(body, headers) of a `{"headers": {...}, "body": ...}` line; a recorder's extra keys beside
    them (when it was received, from where) are tolerated. Any other line is the body itself."""
    if isinstance(value, dict) and "body" in value and isinstance(value.get("headers"), dict):
        return value["body"], {str(k): str(v) for k, v in value["headers"].items()}
    return value, {}


def adapter_for_replay(settings: Settings, name: str) -> Adapter:
    """The named adapter, from its settings section when set, else from placeholder credentials.

    Replay never sends (it publishes to a recording), so credentials are not needed; only the
    settings that change translation (our own accounts' ids, own addresses, category allow-list)
    matter.
    """
    spec = ADAPTERS.get(name)
    if spec is None:
        raise ConfigError(f"unknown adapter {name!r}; known: {', '.join(sorted(ADAPTERS))}")
    section = getattr(settings, name, None)
    if section is not None:
        return spec.from_config(section)
    placeholder = REPLAY_PLACEHOLDERS.get(name)
    if placeholder is None:
        raise ConfigError(f"adapter {name!r} needs its settings section to replay")
    return spec.from_config(placeholder)


_META_PLACEHOLDER: dict[str, Any] = {"app_secret": "replay", "verify_token": "replay"}
REPLAY_PLACEHOLDERS: dict[str, dict[str, Any]] = {
    "x": {"bearer_token": "replay", "robot": {"user_id": "0", "handle": "@_replay_"}},
    "meta": _META_PLACEHOLDER,
    "facebook": _META_PLACEHOLDER,
    "instagram": _META_PLACEHOLDER,
    "whatsapp": _META_PLACEHOLDER,
    "discourse": {
        "base_url": "http://discourse.invalid",
        "webhook_secret": "replay",
        "api_key": "replay",
        "robot_username": "centinela-bot",
        "official_username": "centinela",
    },
    "email": {
        "address": "replay@centinela.invalid",
        "imap_host": "imap.invalid",
        "imap_user": "replay",
        "imap_password": "replay",
        "smtp_host": "smtp.invalid",
    },
}
"""Config an adapter is replayed with when its section is not set (nothing is ever sent)."""


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()
