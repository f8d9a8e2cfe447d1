"""The adapters the settings enable, built from the registry, and what the engine needs of them.

Built once by the composition root: their routes are mounted on the web app before it starts,
their pollers start with the runtime, and the publisher finds each outbox item's adapter by
channel (`"*"` catches every channel without one: the recording, by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from adapters.base import Adapter
from adapters.registry import ADAPTERS
from bot.config import Settings, SlackSettings
from bot.store.base import Store

CURSOR_PREFIX = "cursor:"


def adapter_configs(
    settings: Settings, *, webhook_secrets: list[str]
) -> dict[str, BaseModel | dict[str, Any]]:
    """Config per enabled adapter: the built-in edges always, a platform when its section is set."""
    configs: dict[str, BaseModel | dict[str, Any]] = {
        "webhook": {
            "secrets": webhook_secrets,
            "max_bytes": settings.webhook_max_bytes,
            "max_skew_s": settings.webhook_max_skew_s,
            "read_timeout_s": settings.webhook_read_timeout_s,
        },
        "recording": {"path": settings.recording_file},
    }
    for name in ADAPTERS:
        section = getattr(settings, name, None)
        if name != "slack" and isinstance(section, BaseModel) and getattr(section, "enabled", True):
            configs[name] = section
    slack = slack_config(settings.slack)
    if slack is not None:
        configs["slack"] = slack
    return configs


def slack_config(slack: SlackSettings) -> dict[str, Any] | None:
    """The Slack adapter's config, when the war-room has a bot token and a signing secret.

    The `slack:` section also holds the war-room's own settings (approvers, escalation), so it
    is mapped here rather than handed over whole like the platforms' sections.
    """
    if slack.bot_token is None or slack.signing_secret is None:
        return None
    return {"token": slack.bot_token, "channel": slack.channel, "base_url": slack.api_base_url}


def build_adapters(configs: dict[str, BaseModel | dict[str, Any]]) -> list[Adapter]:
    return [ADAPTERS[name].from_config(config) for name, config in configs.items()]


def by_channel(adapters: Iterable[Adapter]) -> dict[str, Adapter]:
    """Channel -> the adapter that delivers it; later adapters win over `"*"` catch-alls."""
    routes: dict[str, Adapter] = {}
    for adapter in adapters:
        for channel in adapter.channels:
            if channel == "*" and "*" in routes:
                continue
            routes[channel] = adapter
    return routes


class StoreCursors:
    """Pollers' cursors as flags of the hot-path store (shared by replicas, kept across restarts)."""

    def __init__(self, store: Store, adapter: str) -> None:
        self._store = store
        self._prefix = f"{CURSOR_PREFIX}{adapter}:"

    async def get(self, key: str) -> str | None:
        return await self._store.get_flag(self._prefix + key)

    async def set(self, key: str, value: str) -> None:
        await self._store.set_flag(self._prefix + key, value)
