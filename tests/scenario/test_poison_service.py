"""A poison message in the running service: later messages flow, the API and metrics cope."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.store.base import Store, StoreSettings
from bot.store.factory import build_records
from bot.store.redis import RedisStore
from bot.store.split import SplitStore
from bot.store.sql.url import parse_database_url
from bot.store.sqlite import SqliteStore
from bot.web.app import create_app
from tests.conftest import API_TOKEN, TEST_REDIS_URL, eventually, make_message, redis_reachable, settings_for
from tests.contract.test_poison_messages import POISON

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def service_store(store_kind: str, tmp_path: Path) -> AsyncIterator[Store]:
    """A store the service opens and closes itself; Redis gets its own namespace, cleared after."""
    settings = StoreSettings(visibility_timeout_s=0.5, max_attempts=3, retry_backoff_s=0.05)
    if store_kind == "sqlite":
        yield SqliteStore(tmp_path / "poison.sqlite3", settings)
        return
    await redis_reachable()
    namespace = f"test-{uuid.uuid4().hex[:12]}"
    records = build_records(parse_database_url(f"sqlite:///{tmp_path / 'records.sqlite3'}"))
    yield SplitStore(RedisStore(TEST_REDIS_URL, namespace=namespace, settings=settings), records)
    leftover = RedisStore(TEST_REDIS_URL, namespace=namespace)
    await leftover.open()
    await leftover.clear()
    await leftover.close()


async def test_poison_message_is_dead_lettered_and_the_api_copes(
    aiohttp_client: ClientFactory, tmp_path: Path, service_store: Store
) -> None:
    client = await aiohttp_client(create_app(settings_for(tmp_path), store=service_store))
    await service_store.enqueue([POISON, make_message("after", "I want to talk to a person please")])
    await eventually(lambda: service_store.get_decision("twitter:after"), timeout=10)

    async def listed() -> list[dict[str, Any]]:
        async with client.get("/api/v1/dead-letters", headers=AUTH) as response:
            assert response.status == 200
            letters: list[dict[str, Any]] = (await response.json())["dead_letters"]
            return letters

    letters = await eventually(listed, timeout=15)
    assert [(d["key"], d["message"], d["attempts"]) for d in letters] == [("twitter:poison", None, 3)]
    assert "cannot be loaded" in letters[0]["error"] and letters[0]["unreadable"]
    async with client.get("/metrics") as response:
        assert response.status == 200
        assert "centinela_dead_letters 1.0" in await response.text()
    async with client.post("/api/v1/dead-letters/twitter:poison/requeue", headers=AUTH) as response:
        assert response.status == 409
        assert "cannot be loaded" in (await response.json())["error"]
    assert await service_store.queue_depth() == 0
    assert [d["key"] for d in await listed()] == ["twitter:poison"]
    async with client.get("/api/v1/messages/twitter:poison", headers=AUTH) as response:
        assert response.status == 409 and "cannot be loaded" in (await response.json())["error"]
