"""Fixtures shared by every test: stores on real SQLite and real Redis, message factories."""

from __future__ import annotations

import asyncio
import atexit
import inspect
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import redis.asyncio as aioredis
from blockbuster import blockbuster_ctx

from bot.config import Settings, load_settings
from bot.core.models import Author, InboundMessage
from bot.store.base import Store, StoreSettings
from bot.store.factory import build_records
from bot.store.records import RecordStore
from bot.store.split import SplitStore
from bot.store.sql.url import parse_database_url
from bot.store.sqlite import SqliteStore
from tests.paths import SHARED
from tests.sql_fixtures import RECORD_BACKENDS, SESSION_SCHEMA, drop_schema_now, open_records

T = TypeVar("T")

# Tests read texts inline unless they test the reading helpers: a helper process per runtime
# would add seconds of start-up to every service test and prove nothing more.
os.environ.setdefault("CENTINELA_READING_PROCESSES", "0")


def _shared_kb_cache() -> None:
    """One KB cache for the whole run (`CENTINELA_KB_CACHE_DIR`), removed when the run ends.

    Every service a test builds has its own data directory, so by default each would embed the
    sample KB and fit its classifier again: seconds each, most of the suite's time once. The
    cache has a folder per KB folder, reuses vectors only for an article whose content hash and
    embedder match, and weights only for the same training inputs, so sharing it changes no
    result. Set
    before any settings are read; pytest-xdist's workers inherit it from the main process, and
    only the process that made the folder removes it.
    """
    if os.environ.get("CENTINELA_KB_CACHE_DIR"):
        return
    folder = tempfile.mkdtemp(prefix="centinela-test-kb-cache-")
    os.environ["CENTINELA_KB_CACHE_DIR"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


_shared_kb_cache()
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


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float = 15.0) -> T:
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


# Every Redis namespace this run creates; the session's end removes their keys, so the suite leaves
# nothing behind in the shared Redis (other runs may be using the same database meanwhile).
_NAMESPACES: set[str] = set()


def test_namespace() -> str:
    """A fresh Redis key prefix for one test, removed at the end of the run."""
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    _NAMESPACES.add(namespace)
    return namespace


test_namespace.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# pytest-xdist's grouping modes key tests by node id, and schemathesis's OpenAPI cases share one
# id on pytest 9.2, so those modes silently run 1 of the 64: such a run stops instead of passing short.
GROUPING_DIST_MODES = {"loadfile", "loadscope", "loadgroup"}


def pytest_configure(config: pytest.Config) -> None:
    dist = getattr(config.option, "dist", "no")
    if dist in GROUPING_DIST_MODES:
        raise pytest.UsageError(f"--dist {dist} skips tests that share a node id; use --dist worksteal")


@pytest.fixture(scope="session", autouse=True)
def redis_left_clean() -> Iterator[None]:
    yield
    if not _NAMESPACES:
        return
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        for namespace in _NAMESPACES:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


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
        hot = RedisStore(TEST_REDIS_URL, namespace=test_namespace(), settings=settings)
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


# The packages whose code must never block the event loop (CONVENTIONS.md): any blocking call made
# from them inside an async test fails it. Test code itself may block (it is not scanned).
NON_BLOCKING_PACKAGES = ["bot", "responders", "retrieval", "adapters", "scheduler"]
# Start-up work that reads files once, before any traffic (lexicons, rules, settings), and
# libraries that read their own metadata on first use. Allowed by name, nothing broader.
START_UP_MAY_BLOCK: list[tuple[str, set[str]]] = [
    ("redis/utils.py", {"get_lib_version"}),
    ("bot/reading/lexicons/__init__.py", {"available_languages", "_read"}),
    ("bot/pipeline/rules.py", {"load_rules"}),
    ("bot/web/secrets.py", {"local_secrets", "accepted_secrets"}),
    ("bot/engine/extensions.py", {"build_extensions"}),
    ("bot/config.py", {"load_settings"}),
    ("bot/web/openapi.py", {"mount_documentation"}),
    ("bot/web/dashboard.py", {"_static"}),  # the dashboard's templates and assets, read once
    # Whether the records file is the hot path's own (paths resolved once, when the store is built).
    ("bot/store/factory.py", {"build_records"}),
    # SQLAlchemy resolves the SQLite file's absolute path when the engine is created (open());
    # asyncpg looks for ~/.pgpass and client certificates when it opens a pool connection.
    ("sqlalchemy/dialects/sqlite/pysqlite.py", {"create_connect_args"}),
    ("asyncpg/connect_utils.py", {"_parse_connect_dsn_and_args"}),
    # `serve --demo` is a client sharing the service's loop; its progress bar writes to the terminal.
    ("bot/cli/demo.py", {"run_demo"}),
]


@pytest.fixture(autouse=True)
def no_blocking_calls_in_the_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """blockbuster around every async test: a blocking call on the loop is a bug, not slowness."""
    if not inspect.iscoroutinefunction(request.function):
        yield
        return
    with blockbuster_ctx(NON_BLOCKING_PACKAGES) as buster:
        for function in buster.functions.values():
            for filename, names in START_UP_MAY_BLOCK:
                function.can_block_in(filename, names)
        yield


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The steering repo's `../shared` (eval sets, bursts, recorded payloads).

    A user's clone has none, so there the tests that need it skip; in CI (`CI` set) its absence
    is a broken build and fails loudly instead.
    """
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing: CI must run with ../shared beside the checkout", pytrace=False)
        pytest.skip(f"{SHARED} is not here (only the build machines have ../shared)")
    return SHARED


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
    # The leader's incident-of-the-day job drafts on the real clock once it is past 18:00 in
    # Madrid, so a suite run in the evening would find extra drafts and war-room posts. It is
    # off here; the tests of that job run their own drafter on a clock they set.
    scheduler = values.get("scheduler")
    if scheduler is None or isinstance(scheduler, dict):
        values["scheduler"] = {"daily_zones": {}, **(scheduler or {})}
    return load_settings(**values)


def run_in_threads(work: Callable[[], None], count: int = 4) -> None:
    """Run `work` on `count` threads at once and wait for all (thread-safety tests)."""
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
