"""Customers who help other customers are advocates on the People view (webhook to API)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.webhook.signing import signed_headers
from bot.core.models import utc_now
from bot.web.app import STORE, create_app
from tests.conftest import API_TOKEN, WEBHOOK_SECRET, eventually, settings_for

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def client(aiohttp_client: ClientFactory, tmp_path: Path) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(settings_for(tmp_path, workers=1)))


def _message(
    mid: str, handle: str, text: str, minutes_ago: int, in_reply_to: str | None = None
) -> dict[str, Any]:
    at = (utc_now() - timedelta(minutes=minutes_ago)).isoformat()
    return {"id": mid, "channel": "twitter", "created_at": at, "author": {"handle": handle, "followers": 50},
            "text": text, "in_reply_to": in_reply_to}  # fmt: skip


async def _feed(client: TestClient[Any, Any], messages: list[dict[str, Any]]) -> None:
    body = json.dumps({"messages": messages}, ensure_ascii=False).encode()
    async with client.post("/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body)) as r:
        assert r.status == 202, await r.text()
    store, keys = client.app[STORE], [f"twitter:{m['id']}" for m in messages]

    async def decided() -> bool | None:
        return all([await store.get_decision(k) is not None for k in keys]) or None

    await eventually(decided, timeout=30)


async def test_two_helpful_replies_to_other_customers_make_an_advocate(client: TestClient[Any, Any]) -> None:
    await _feed(
        client,
        [
            _message("1", "ana", "No tengo internet desde esta mañana, ¿alguien sabe algo?", 50),
            _message("2", "carl", "My router keeps dropping the connection, any idea?", 40),
        ],
    )
    await _feed(
        client,
        [
            _message("3", "bea", "@ana prueba a reiniciar el router, a mí me funcionó. ¡Suerte!", 30, "1"),
            _message("4", "bea", "@carl update the router firmware, it fixed mine. Thanks to all!", 20, "2"),
            _message("5", "ana", "gracias", 10, "1"),  # in her own thread: not helping others
        ],
    )
    people = await (await client.get("/api/v1/stats/people?span=day", headers=AUTH)).json()
    helped = {a["author"]: a["helped"] for a in people["top_authors"]}
    assert helped == {"ana": 0, "bea": 2, "carl": 0}
    (advocate,) = people["advocates"]
    assert advocate["author"] == "bea" and advocate["positive"] < 2  # an advocate by helping alone
