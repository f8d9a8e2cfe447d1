"""Every HTTP error of the service has one shape, `{"error": "...", "field": ...}`, whatever made it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, settings_for
from tests.scenario.warroom_rig import ClientFactory

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, webhook_max_bytes=4096)))


async def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/json"
    body: dict[str, Any] = await response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert "field" in body and (body["field"] is None or isinstance(body["field"], str))
    return body


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/no/such/path", {}, 404),
        ("GET", "/api/v1/no-such-thing", AUTH, 404),
        ("GET", "/api/v1/drafts/nope", AUTH, 404),
        ("GET", "/webhooks/generic", {}, 405),
        ("DELETE", "/api/v1/kill-switch", AUTH, 405),
        ("POST", "/healthz", {}, 405),
        ("GET", "/api/v1/decisions", {}, 401),
        ("POST", "/webhooks/generic", {}, 401),
    ],
)
async def test_routing_and_auth_errors(
    client: TestClient[Any, Any], method: str, path: str, headers: dict[str, str], status: int
) -> None:
    async with client.request(method, path, headers=headers) as response:
        await _error(response, status)


async def test_405_keeps_the_allow_header(client: TestClient[Any, Any]) -> None:
    async with client.get("/webhooks/generic") as response:
        body = await _error(response, 405)
        assert "POST" in response.headers["Allow"]
        assert body["error"] == "GET is not allowed on /webhooks/generic (allowed: POST)"


async def test_404_names_the_path(client: TestClient[Any, Any]) -> None:
    async with client.get("/no/such/path") as response:
        assert (await _error(response, 404))["error"] == "no such path: /no/such/path"


async def test_bad_input_names_the_field(client: TestClient[Any, Any]) -> None:
    async with client.put("/api/v1/kill-switch", json={"on": "yes"}, headers=AUTH) as response:
        assert (await _error(response, 400))["field"] == "on"
    async with client.get("/api/v1/decisions?limit=ten", headers=AUTH) as response:
        await _error(response, 400)
    async with client.post("/api/v1/drafts/x/approve", data=b"[1]", headers=AUTH) as response:
        await _error(response, 400)


async def test_bodies_over_the_cap(client: TestClient[Any, Any]) -> None:
    big = b"x" * 10_000
    async with client.post("/webhooks/generic", data=big) as response:
        await _error(response, 413)
    async with client.put(
        "/api/v1/kill-switch", data=big, headers={**AUTH, "Content-Type": "application/json"}
    ) as response:
        await _error(response, 413)


async def test_not_ready_is_503_with_the_error_shape(client: TestClient[Any, Any]) -> None:
    async with client.get("/readyz") as response:
        assert response.status == 200
    await client.app[STORE].close()  # the store goes away under the running service
    async with client.get("/readyz") as response:
        body = await _error(response, 503)
        assert body["error"] == "store unreachable"
