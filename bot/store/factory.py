"""Choose the store from the settings: Redis when a URL is configured, else embedded SQLite."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.store.base import Store, StoreSettings
from bot.store.sqlite import SqliteStore


def store_settings(settings: Settings) -> StoreSettings:
    return StoreSettings(
        dedupe_window_s=settings.dedupe_window_days * 24 * 3600,
        visibility_timeout_s=settings.visibility_timeout_s,
        max_attempts=settings.max_attempts,
    )


def build_store(
    settings: Settings, *, namespace: str = "centinela", sqlite_path: Path | None = None
) -> Store:
    """The configured store, not yet opened. `namespace` isolates throw-away runs (replays)."""
    if settings.redis_url:
        from bot.store.redis import RedisStore

        return RedisStore(settings.redis_url, namespace=namespace, settings=store_settings(settings))
    return SqliteStore(sqlite_path or settings.sqlite_path, store_settings(settings))
