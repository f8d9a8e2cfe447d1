"""Choose the stores from the settings: the hot path (Redis when `CENTINELA_REDIS_URL` is set,
else SQLite) and the records (`CENTINELA_DATABASE_URL`: PostgreSQL, or by default the same
SQLite file as the hot path, sharing its writer thread)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.store.base import Store, StoreSettings
from bot.store.hot_path import HotPathStore
from bot.store.records import RecordStore
from bot.store.split import SplitStore
from bot.store.sql.embedded import EmbeddedExecutor, SqliteFile
from bot.store.sql.store import SqlRecordStore
from bot.store.sql.url import DatabaseTarget, parse_database_url
from bot.store.sqlite import SqliteHotPath
from bot.store.stats import UTC_ZONE


def store_settings(settings: Settings) -> StoreSettings:
    return StoreSettings(
        dedupe_window_s=settings.dedupe_window_days * 24 * 3600,
        visibility_timeout_s=settings.visibility_timeout_s,
        max_attempts=settings.max_attempts,
    )


def build_store(
    settings: Settings,
    *,
    namespace: str = "centinela",
    sqlite_path: Path | None = None,
    records_schema: str | None = None,
) -> Store:
    """The configured store, not yet opened.

    `namespace` isolates throw-away runs (replays) on Redis, `sqlite_path` on SQLite (both
    halves then live in that file), `records_schema` on PostgreSQL.
    """
    target = settings.database_target
    if target.backend == "embedded" and sqlite_path is not None:
        target = parse_database_url(f"sqlite:///{sqlite_path}")
    if target.backend == "postgresql" and records_schema is not None:
        target = parse_database_url(
            f"{target.url.render_as_string(hide_password=False)}?schema={records_schema}"
        )
    hot_file = SqliteFile(sqlite_path or settings.sqlite_path)
    hot: HotPathStore
    if settings.redis_url:
        from bot.store.redis import RedisStore

        hot = RedisStore(settings.redis_url, namespace=namespace, settings=store_settings(settings))
    else:
        hot = SqliteHotPath(hot_file, store_settings(settings))
    shared = None if settings.redis_url else hot_file
    return SplitStore(
        hot, build_records(target, shared_file=shared, day_zone=ZoneInfo(settings.dashboard.timezone))
    )


def build_records(
    target: DatabaseTarget, *, shared_file: SqliteFile | None = None, day_zone: ZoneInfo = UTC_ZONE
) -> RecordStore:
    """The records store for `target`; an embedded target on the hot path's own file shares it."""
    if target.backend == "embedded":
        assert target.path is not None
        same = shared_file is not None and shared_file.path.resolve() == target.path.resolve()
        file = shared_file if same and shared_file is not None else SqliteFile(target.path)
        return SqlRecordStore(
            EmbeddedExecutor(file), describe=f"records in the SQLite file {target.path}", day_zone=day_zone
        )
    from bot.store.sql.executor import EngineExecutor  # SQLAlchemy asyncio, asyncpg: only when used

    return SqlRecordStore(
        EngineExecutor(target), describe=f"records database at {target.safe}", day_zone=day_zone
    )
