"""Redis down: the webhook and the API answer 503 with JSON and Retry-After (issue 11, finding 5).

Platforms retry on 503 (and honour Retry-After); a plain-text 500 told them nothing, and some
stop retrying on 500. The test kills a private redis-server mid-run, then starts it again on
the same port: the service recovers by itself, with no restart.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.web.app import create_app
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, settings_for
from tests.fakes.private_redis import PrivateRedis

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def message(msg_id: str) -> bytes:
    return json.dumps(
        {"id": msg_id, "channel": "twitter", "created_at": "2026-05-20T09:15:00Z", "text": "hola"}
    ).encode()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


async def post(client: TestClient[Any, Any], body: bytes) -> tuple[int, dict[str, Any], str | None]:
    async with client.post("/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)) as r:
        assert r.content_type == "application/json"
        return r.status, await r.json(), r.headers.get("Retry-After")


async def test_redis_down_is_503_json_with_retry_after_then_recovers(
    aiohttp_client: ClientFactory, tmp_path: Path, redis_server: PrivateRedis
) -> None:
    client = await aiohttp_client(create_app(settings_for(tmp_path, redis_url=redis_server.url)))
    assert (await post(client, message("before")))[0] == 202

    redis_server.kill()
    status, answer, retry_after = await post(client, message("during"))
    assert status == 503 and "error" in answer and retry_after is not None and int(retry_after) > 0
    # Bad input is still the sender's fault while the store is down: a 4xx, never a 503 to retry.
    unsigned = message("forged")
    async with client.post(
        "/webhooks/generic", data=unsigned, headers={"Content-Type": "application/json"}
    ) as r:
        assert r.status == 401
    assert (await post(client, b"{not json"))[0] == 400
    # The dead letters live on the hot path (Redis); decisions are records, in SQL, and still answer.
    async with client.get("/api/v1/dead-letters", headers=AUTH) as response:
        assert response.status == 503 and response.content_type == "application/json"
        assert response.headers.get("Retry-After")
    async with client.get("/readyz") as response:
        assert response.status == 503

    redis_server.start()
    status, answer, _ = await post(client, message("after"))
    assert (status, answer["accepted"]) == (202, ["after"])
    async with client.get("/api/v1/decisions", headers=AUTH) as response:
        assert response.status == 200
