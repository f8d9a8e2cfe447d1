"""Signed requests into `POST /webhooks/generic`; what is stored and decided comes out."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.store.base import Store
from bot.web.app import RUNTIME, STORE, create_app
from tests.conftest import WEBHOOK_SECRET, eventually, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]

MESSAGE = {
    "id": "m0001",
    "channel": "twitter",
    "created_at": "2026-05-20T09:15:00Z",
    "author": {"handle": "@ana", "name": "Ana", "followers": 120, "verified": False},
    "text": "¿cómo reinicio el router?",
    "in_reply_to": None,
}


def signed(body: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> dict[str, str]:
    return signed_headers(secret, body, at=at)


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, webhook_max_bytes=64 * 1024)))


async def post(
    client: TestClient[Any, Any], body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with client.post("/webhooks/generic", data=body, headers=headers) as response:
        return response.status, await response.json()


async def test_signed_message_is_accepted_stored_and_decided(client: TestClient[Any, Any]) -> None:
    body = encode(MESSAGE)
    status, answer = await post(client, body, signed(body))
    assert (status, answer) == (202, {"accepted": ["m0001"], "duplicates": []})
    store = client.app[STORE]
    stored = await store.get_message("twitter:m0001")
    assert stored is not None and stored.raw == MESSAGE
    decision = await eventually(lambda: store.get_decision("twitter:m0001"))
    assert decision.language == "es"


async def test_same_webhook_four_times_gives_one_decision(client: TestClient[Any, Any]) -> None:
    body = encode(MESSAGE)
    statuses = [(await post(client, body, signed(body)))[0] for _ in range(4)]
    assert statuses == [202, 200, 200, 200]
    store = client.app[STORE]
    await eventually(lambda: store.get_decision("twitter:m0001"))
    await eventually(lambda: _queue_empty(client))
    assert len(await store.list_decisions()) == 1


async def _queue_empty(client: TestClient[Any, Any]) -> bool:
    store: Store = client.app[STORE]
    return await store.queue_depth() == 0


async def test_batch_reports_accepted_and_duplicates(client: TestClient[Any, Any]) -> None:
    first = encode(MESSAGE)
    await post(client, first, signed(first))
    batch = encode({"messages": [MESSAGE, {**MESSAGE, "id": "m0002", "text": "Hello, my bill is wrong"}]})
    status, answer = await post(client, batch, signed(batch))
    assert (status, answer) == (202, {"accepted": ["m0002"], "duplicates": ["m0001"]})


async def test_unknown_fields_are_ignored_not_errors(client: TestClient[Any, Any]) -> None:
    body = encode({**MESSAGE, "expect": {"action": "answer"}, "source": {"x": 1}, "mood": "great"})
    status, _ = await post(client, body, signed(body))
    assert status == 202


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Content-Type": "application/json"}, "missing"),
        ({"X-Centinela-Timestamp": "1", "X-Centinela-Signature": "sha256=00"}, "Signature"),
    ],
)
async def test_unsigned_or_stale_requests_are_refused(
    client: TestClient[Any, Any], headers: dict[str, str], why: str
) -> None:
    status, answer = await post(client, encode(MESSAGE), headers)
    assert status == 401 and why in answer["error"]
    assert await client.app[STORE].get_message("twitter:m0001") is None


async def test_bad_signature_is_refused_and_nothing_stored(client: TestClient[Any, Any]) -> None:
    body = encode(MESSAGE)
    status, answer = await post(client, body, signed(body, secret="wrong"))
    assert status == 401 and "signature" in answer["error"]
    tampered = encode({**MESSAGE, "text": "tampered"})
    status, _ = await post(client, tampered, signed(body))
    assert status == 401
    assert await client.app[STORE].queue_depth() == 0


async def test_stale_but_correctly_signed_timestamp_is_refused(client: TestClient[Any, Any]) -> None:
    body = encode(MESSAGE)
    status, answer = await post(client, body, signed(body, at=int(time.time()) - 301))
    assert status == 401 and "300" in answer["error"]


async def test_malformed_json_is_400_and_nothing_stored(client: TestClient[Any, Any]) -> None:
    body = b'{"id": "m1", "channel": '
    status, answer = await post(client, body, signed(body))
    assert status == 400 and "JSON" in answer["error"]
    assert await client.app[STORE].queue_depth() == 0


async def test_invalid_message_names_the_field(client: TestClient[Any, Any]) -> None:
    batch = encode({"messages": [MESSAGE, {**MESSAGE, "id": "m2", "channel": "myspace"}]})
    status, answer = await post(client, batch, signed(batch))
    assert status == 400 and answer["field"] == "messages[1].channel"
    assert await client.app[STORE].queue_depth() == 0  # all or nothing


async def test_oversized_body_is_413(client: TestClient[Any, Any]) -> None:
    body = encode({**MESSAGE, "text": "x" * 39_000, "padding": "y" * 70_000})
    status, answer = await post(client, body, signed(body))
    assert status == 413 and "larger" in answer["error"]
    assert await client.app[STORE].queue_depth() == 0


@pytest.mark.parametrize(
    "text",
    [
        "Olá, minha fatura veio errada 😡 çãõ",
        "🔥🔥🔥",
        "日本語のメッセージ",
        "",
        "‮ reversed \u200d zero-width",
    ],
)
async def test_unicode_bodies_are_kept_exactly(client: TestClient[Any, Any], text: str) -> None:
    body = encode({**MESSAGE, "id": f"u-{abs(hash(text))}", "text": text})
    status, answer = await post(client, body, signed(body))
    assert status == 202
    stored = await client.app[STORE].get_message(f"twitter:{answer['accepted'][0]}")
    assert stored is not None and stored.text == text


async def test_health_ready_and_metrics(client: TestClient[Any, Any]) -> None:
    body = encode(MESSAGE)
    await post(client, body, signed(body))
    await eventually(lambda: client.app[STORE].get_decision("twitter:m0001"))
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    metrics = await (await client.get("/metrics")).text()
    assert "centinela_messages_total{action=" in metrics and 'channel="twitter"' in metrics
    assert "centinela_queue_depth" in metrics and "centinela_decision_latency_seconds_bucket" in metrics
    assert client.app[RUNTIME].workers
