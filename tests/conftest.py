"""Fixtures shared by every test: stores on real SQLite and real Redis, message factories."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis

from bot.config import Settings, load_settings
from bot.models import Author, InboundMessage
from bot.store.base import Store, StoreSettings
from bot.store.factory import build_records
from bot.store.records import RecordStore
from bot.store.split import SplitStore
from bot.store.sql.url import parse_database_url
from bot.store.sqlite import SqliteStore
from tests.sql_fixtures import RECORD_BACKENDS, SESSION_SCHEMA, drop_schema_now, open_records

T = TypeVar("T")

# Tests read texts inline unless they test the reading helpers: a helper process per runtime
# would add seconds of start-up to every service test and prove nothing more.
os.environ.setdefault("CENTINELA_READING_PROCESSES", "0")
TEST_REDIS_URL = os.environ.get("CENTINELA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def make_message(
    msg_id: str = "m1",
    text: str = "¿cómo reinicio el router?",
    *,
    channel: str = "twitter",
    handle: str = "@ana",
    followers: int | None = 120,
    verified: bool = False,
    created_at: datetime | None = None,
    **extra: Any,
) -> InboundMessage:
    """A normalised message as an adapter would produce it."""
    return InboundMessage.model_validate(
        {
            "id": msg_id,
            "channel": channel,
            "created_at": created_at or datetime(2026, 5, 20, 9, 15, tzinfo=UTC),
            "author": Author(handle=handle, name=handle.strip("@"), followers=followers, verified=verified),
            "text": text,
            **extra,
        }
    )


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float = 5.0) -> T:
    """Poll `check` until it returns something truthy, or fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


async def redis_reachable() -> None:
    """Fail loudly (never skip) when the Redis the suite needs is not there."""
    client = aioredis.Redis.from_url(TEST_REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(
            f"Redis not reachable at {TEST_REDIS_URL} ({exc}); `make test` starts one, "
            "or set CENTINELA_TEST_REDIS_URL",
            pytrace=False,
        )
    finally:
        await client.aclose()


async def open_store(kind: str, tmp_path: Path, settings: StoreSettings | None = None) -> Store:
    """A fresh, empty store of the given kind in its own namespace.

    `kind` names the hot path: "sqlite" is the embedded default (both halves in one file);
    "redis" puts the hot path on Redis and the records in an SQLite file of the test's own.
    """
    store: Store
    if kind == "sqlite":
        store = SqliteStore(tmp_path / "centinela.sqlite3", settings)
    else:
        from bot.store.redis import RedisStore

        await redis_reachable()
        hot = RedisStore(TEST_REDIS_URL, namespace=f"test-{uuid.uuid4().hex[:12]}", settings=settings)
        store = SplitStore(
            hot, build_records(parse_database_url(f"sqlite:///{tmp_path / 'records.sqlite3'}"))
        )
    await store.open()
    return store


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema() -> Iterator[None]:
    """The session's PostgreSQL schema goes when the session ends (the server is shared)."""
    yield
    if _POSTGRES_USED:
        drop_schema_now(SESSION_SCHEMA)


_POSTGRES_USED: list[bool] = []


@pytest.fixture(params=RECORD_BACKENDS)
def records_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        _POSTGRES_USED.append(True)
    return str(request.param)


@pytest.fixture
async def records(records_kind: str, tmp_path: Path) -> AsyncIterator[RecordStore]:
    opened = await open_records(records_kind, tmp_path)
    try:
        yield opened
    finally:
        await opened.clear()
        await opened.close()


@pytest.fixture(params=["sqlite", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(store_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(
        store_kind, tmp_path, StoreSettings(visibility_timeout_s=0.3, max_attempts=3, retry_backoff_s=0.05)
    )
    try:
        yield opened
    finally:
        await opened.clear()
        await opened.close()


WEBHOOK_SECRET = "test-webhook-secret"
API_TOKEN = "test-api-token"


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for one test: its own data dir, known secrets, fast timeouts."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "var",
        "webhook_secret": WEBHOOK_SECRET,
        "api_token": API_TOKEN,
        "visibility_timeout_s": 0.5,
        "workers": 2,
    }
    values.update(overrides)
    return load_settings(**values)


def run_in_threads(work: Callable[[], None], count: int = 4) -> None:
    """Run `work` on `count` threads at once and wait for all (thread-safety tests)."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
