"""Hostile bodies get a 4xx with a JSON body and leave nothing stored (issue 11, finding 4).

Each case here answered 500 before: an overlong timestamp overflowed the skew arithmetic
before any secret was needed, lone surrogates broke the store's encoder, and deep nesting
raised `RecursionError` (or was accepted and then could never be loaded again).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.core.models import InboundMessage
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"}
MESSAGE: dict[str, Any] = {
    "id": "m0001",
    "channel": "twitter",
    "created_at": "2026-05-20T09:15:00Z",
    "author": {"handle": "@ana", "name": "Ana", "followers": 120},
    "text": "¿cómo reinicio el router?",
}
LONE = "\ud800"


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def raw_json(data: Any) -> bytes:
    """JSON with non-ASCII escaped: a lone surrogate travels as the legal escape `\\ud800`."""
    return json.dumps(data, ensure_ascii=True).encode()


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path)))


async def post_signed(client: TestClient[Any, Any], body: bytes) -> tuple[int, dict[str, Any]]:
    headers = signed_headers(WEBHOOK_SECRET, body)
    async with client.post("/webhooks/generic", data=body, headers=headers) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def assert_nothing_stored(client: TestClient[Any, Any]) -> None:
    assert await client.app[STORE].queue_depth() == 0
    assert await client.app[STORE].get_message("twitter:m0001") is None


@pytest.mark.parametrize("digits", [309, 400, 5000])
async def test_huge_timestamp_is_401_not_500(client: TestClient[Any, Any], digits: int) -> None:
    headers = {"X-Centinela-Timestamp": "9" * digits, "X-Centinela-Signature": "sha256=" + "0" * 64}
    async with client.post("/webhooks/generic", data=raw_json(MESSAGE), headers=headers) as response:
        assert response.status == 401
        assert "error" in await response.json()
    await assert_nothing_stored(client)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"author": {"handle": LONE}}, "author.handle"),
        ({"author": {"handle": "@a", "name": f"Ana {LONE}"}}, "author.name"),
        ({"author": {"handle": "@a", "customer_id": LONE}}, "author.customer_id"),
        ({"in_reply_to": LONE}, "in_reply_to"),
        ({"mood": {"deep": [LONE]}}, "mood.deep[0]"),
        ({"text": LONE}, "text"),
        ({"id": LONE}, "id"),
    ],
)
async def test_lone_surrogate_anywhere_is_400_with_field(
    client: TestClient[Any, Any], patch: dict[str, Any], field: str
) -> None:
    status, answer = await post_signed(client, raw_json({**MESSAGE, **patch}))
    assert status == 400 and answer["field"] == field
    await assert_nothing_stored(client)


async def test_lone_surrogate_in_a_batch_names_the_message(client: TestClient[Any, Any]) -> None:
    batch = {"messages": [MESSAGE, {**MESSAGE, "id": "m2", "author": {"handle": LONE}}]}
    status, answer = await post_signed(client, raw_json(batch))
    assert status == 400 and answer["field"] == "messages[1].author.handle"
    await assert_nothing_stored(client)


@pytest.mark.parametrize("depth", [70, 200, 230, 255, 256, 300])
async def test_deep_unknown_field_is_400_not_a_poison_message(
    client: TestClient[Any, Any], depth: int
) -> None:
    status, answer = await post_signed(client, raw_json({**MESSAGE, "extra": nested(depth)}))
    assert status == 400 and answer["field"].startswith("extra")
    await assert_nothing_stored(client)


@pytest.mark.parametrize("depth", [1000, 5000])
async def test_very_deep_body_is_400(client: TestClient[Any, Any], depth: int) -> None:
    status, answer = await post_signed(client, b"[" * depth + b"]" * depth)
    assert status == 400 and "nested" in answer["error"]
    await assert_nothing_stored(client)


async def test_what_is_accepted_loads_back_exactly(client: TestClient[Any, Any]) -> None:
    body = raw_json({**MESSAGE, "extra": nested(40), "emoji": "\U0001f525"})
    status, _ = await post_signed(client, body)
    assert status == 202
    stored = await client.app[STORE].get_message("twitter:m0001")
    assert stored is not None
    assert InboundMessage.model_validate_json(stored.model_dump_json()) == stored


@pytest.mark.parametrize(
    "body",
    [
        b'{"on": true, "reason": ' + b"[" * 2000 + b"]" * 2000 + b"}",
        raw_json({"on": True, "reason": nested(300)}),
        raw_json({"on": True, "reason": LONE}),
        raw_json({"on": True, "actor": LONE}),
    ],
)
async def test_kill_switch_refuses_hostile_bodies(client: TestClient[Any, Any], body: bytes) -> None:
    async with client.put("/api/v1/kill-switch", data=body, headers=AUTH) as response:
        assert response.status == 400
        assert "error" in await response.json()
    assert await client.app[STORE].get_flag("kill_switch") is None


@pytest.mark.parametrize(
    "body",
    [raw_json({"text": f"edited {LONE}"}), raw_json({"actor": LONE}), b"[" * 3000 + b"]" * 3000],
)
async def test_approval_refuses_hostile_bodies(client: TestClient[Any, Any], body: bytes) -> None:
    async with client.post("/api/v1/drafts/d1/approve", data=body, headers=AUTH) as response:
        assert response.status == 400
        assert "error" in await response.json()
