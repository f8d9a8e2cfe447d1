"""`centinela replay FILE --adapter NAME`: what a platform delivered, through its own translation.

Each line of FILE is one JSON value as the platform sent it (FORMATS.md "Recorded platform
payloads"): a webhook body, `{"headers": {...}, "body": {...}}` when the adapter needs headers,
or a page of a polled API. Each goes through the adapter's `translate`, the same code its routes
and poller use; what is not a customer message is counted in `skipped` by reason. Signatures
are not checked: they were checked when the payload was received.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from adapters.base import Adapter
from adapters.registry import ADAPTERS
from bot.config import ConfigError, Settings
from bot.core.models import InboundMessage


def adapter_for_replay(settings: Settings, name: str) -> Adapter:
    """The registry's adapter `name`, from its settings section or its replay-only builder."""
    spec = ADAPTERS.get(name)
    if spec is None:
        raise ConfigError(f"unknown adapter {name!r}; known: {', '.join(sorted(ADAPTERS))}")
    if spec.for_replay is not None:
        return spec.for_replay(settings)
    section = getattr(settings, name, None)
    if isinstance(section, BaseModel):
        return spec.from_config(section)
    raise ConfigError(f"adapter {name!r} needs its `{name}:` settings section to replay")


def translate_lines(adapter: Adapter, lines: Iterable[str]) -> tuple[list[InboundMessage], Counter[str]]:
    """Every line's messages (each (channel, id) once), and what was skipped, by reason."""
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
        payload, headers = _unwrap(value)
        try:
            translation = adapter.translate(payload, headers)
        except (ValueError, TypeError, KeyError) as exc:
            skipped[f"untranslatable: {str(exc.args[0] if exc.args else exc)[:60]}"] += 1
            continue
        skipped.update(translation.skipped)
        for message in translation.messages:
            if message.key in seen:
                skipped["duplicate"] += 1
                continue
            seen.add(message.key)
            messages.append(message)
    return messages, skipped


def _unwrap(value: Any) -> tuple[Any, dict[str, str]]:
    """`{"headers": {...}, "body": ...}` carries headers beside the body; anything else is the body."""
    if isinstance(value, dict) and set(value) == {"headers", "body"} and isinstance(value["headers"], dict):
        return value["body"], {str(k): str(v) for k, v in value["headers"].items()}
    return value, {}
